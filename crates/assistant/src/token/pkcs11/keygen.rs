//! New key pairs generated inside the token, and the public half of a key as
//! a SubjectPublicKeyInfo for the CSR.

use cryptoki::object::{Attribute, AttributeType, ObjectClass};

use super::ck::ck;
use super::keys::no_sm2;
use super::session::P11Token;
use crate::error::Error;
use crate::token::types::{KeyHandle, KeyKind, KeyRef};

impl P11Token {
    /// Generates a key pair inside the token (the CA's template: private half
    /// sensitive and never extractable, both halves under `id` and `label`).
    pub fn generate(&self, kind: KeyKind, id: &[u8], label: &str) -> Result<KeyRef, Error> {
        let bits = match kind {
            KeyKind::P256 => 0,
            KeyKind::Rsa2048 => 2048,
            KeyKind::Sm2 => return Err(no_sm2()),
        };
        let (mechanism, public, private) = pki::signer::key_pair_template(bits, id, label);
        let (_, private) = self
            .session
            .generate_key_pair(&mechanism, &public, &private)
            .map_err(ck)?;
        Ok(KeyRef {
            handle: KeyHandle::Pkcs11(private),
            id: id.to_vec(),
            label: label.to_string(),
            kind,
        })
    }

    /// The SubjectPublicKeyInfo (DER) of a key, from its public key object.
    pub fn public_spki(&self, key: &KeyRef) -> Result<Vec<u8>, Error> {
        let handle = self
            .session
            .find_objects(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Id(key.id.clone()),
            ])
            .map_err(ck)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Token("令牌中找不到该密钥的公钥".into()))?;
        let missing = || Error::Token("令牌未返回公钥".into());
        match key.kind {
            KeyKind::P256 => {
                let attrs = self
                    .session
                    .get_attributes(handle, &[AttributeType::EcPoint])
                    .map_err(ck)?;
                let Some(Attribute::EcPoint(wrapped)) = attrs.into_iter().next() else {
                    return Err(missing());
                };
                Ok(pki::signer::p256_spki(&pki::signer::ec_point_of(&wrapped)))
            }
            KeyKind::Rsa2048 => {
                let attrs = self
                    .session
                    .get_attributes(
                        handle,
                        &[AttributeType::Modulus, AttributeType::PublicExponent],
                    )
                    .map_err(ck)?;
                let (mut n, mut e) = (None, None);
                for a in attrs {
                    match a {
                        Attribute::Modulus(v) => n = Some(v),
                        Attribute::PublicExponent(v) => e = Some(v),
                        _ => {}
                    }
                }
                Ok(pki::signer::rsa_spki(
                    &n.ok_or_else(missing)?,
                    &e.ok_or_else(missing)?,
                ))
            }
            KeyKind::Sm2 => Err(no_sm2()),
        }
    }
}
