//! Certificate objects: every X.509 certificate read, a new one written next
//! to its key.

use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
use der::{Decode, Encode};

use super::attrs::{id_of, label_of};
use super::ck::ck;
use super::session::P11Token;
use crate::error::Error;
use crate::token::types::TokenCert;

impl P11Token {
    /// Every X.509 certificate object.
    pub fn certificates(&self) -> Result<Vec<TokenCert>, Error> {
        let handles = self
            .session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
            .map_err(ck)?;
        let mut out = Vec::new();
        for h in handles {
            let attrs = self
                .session
                .get_attributes(
                    h,
                    &[
                        AttributeType::Id,
                        AttributeType::Label,
                        AttributeType::Value,
                    ],
                )
                .map_err(ck)?;
            let der = attrs.iter().find_map(|a| match a {
                Attribute::Value(v) => Some(v.clone()),
                _ => None,
            });
            if let Some(der) = der {
                out.push(TokenCert {
                    id: id_of(&attrs),
                    label: label_of(&attrs),
                    der,
                });
            }
        }
        Ok(out)
    }

    /// Writes a certificate under `id` (next to its key) with the subject,
    /// issuer and serial fields other applications look for.
    pub fn write_certificate(&self, id: &[u8], label: &str, der: &[u8]) -> Result<(), Error> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
        let tbs = cert.tbs_certificate();
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|_| Error::Token("证书编码失败".into()));
        let subject = enc(tbs.subject().to_der())?;
        let issuer = enc(tbs.issuer().to_der())?;
        let serial = enc(tbs.serial_number().to_der())?;
        self.session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Id(id.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Subject(subject),
                Attribute::Issuer(issuer),
                Attribute::SerialNumber(serial),
                Attribute::Value(der.to_vec()),
            ])
            .map_err(ck)?;
        Ok(())
    }
}
