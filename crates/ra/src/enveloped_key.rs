//! A holder's own encryption key, as GB/T 35276 `SM2EnvelopedKey` (DER), for
//! a client other than our assistant (a browser extension, a signing
//! middleware) that imports it itself: the KMC's delivery of the encryption
//! certificate's private key, enveloped to the signing key, fetched by a
//! proof made with that signing key. Only that key opens it; the proof keeps
//! strangers from collecting envelopes and learning which certificates have
//! pairs.
//!
//! It is a read: the proof is checked but its challenge is not used up, so
//! the `GET` changes nothing (a proof replayed within the challenge's minutes
//! reads the same bytes again, which only the holder's key opens).

use domain::Serial;
use store::{certificates, pairs};

use crate::proof::Accept;
use crate::{Msg, Ra, RaError};

/// What the holder signs (with the signing key) to fetch the envelope.
pub fn enveloped_key_message(nonce: &str) -> Vec<u8> {
    format!("certhall-enveloped-key:{nonce}").into_bytes()
}

/// The envelope and whose it is.
#[derive(Debug, Clone)]
pub struct EnvelopedKey {
    /// The encryption certificate's serial.
    pub serial: Serial,
    /// GB/T 35276 SM2EnvelopedKey, DER.
    pub der: Vec<u8>,
}

impl Ra {
    /// The `SM2EnvelopedKey` of the encryption key pair certified with the
    /// proving signing certificate (valid, not revoked). A certificate
    /// without a pair, or whose encryption certificate is revoked, gets a
    /// clear refusal.
    pub async fn enveloped_key(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<EnvelopedKey, RaError> {
        let (signing, _) = self
            .check_proof(
                certificate,
                nonce,
                &enveloped_key_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        let mut conn = self.db.conn().await?;
        let pair = pairs::by_signing(&mut conn, &signing.serial)
            .await?
            .filter(|p| p.public_key.is_some() && p.envelope.is_some())
            .ok_or_else(|| {
                RaError::Conflict(Msg::new(
                    "该证书没有加密证书（不是双证书），没有可取回的加密密钥",
                ))
            })?;
        let encryption = certificates::by_serial(&mut conn, &pair.encryption_serial)
            .await?
            .filter(|c| c.cert_der.is_some())
            .ok_or_else(|| RaError::Conflict(Msg::new("加密证书尚未签发，请稍后重试")))?;
        drop(conn);
        if encryption.revoked_at.is_some() {
            return Err(RaError::Conflict(Msg::new(
                "加密证书已被吊销，其密钥不再下发；如需解密旧文件，请申请密钥恢复",
            )));
        }
        let serial = Serial::parse(&pair.encryption_serial).map_err(|_| RaError::NotFound)?;
        let issued = ca::authority::EncryptionIssued {
            serial: serial.clone(),
            cert_der: encryption.cert_der.unwrap_or_default(),
            public_key: pair.public_key.unwrap_or_default(),
            envelope: pair.envelope.unwrap_or_default(),
        };
        let der = issued
            .key_envelope()?
            .to_sm2_enveloped_key()
            .map_err(ca::CaError::from)?;
        tracing::info!(cert.serial = %signing.serial, cert.encryption_serial = %serial, "a holder fetched the enveloped encryption key");
        Ok(EnvelopedKey { serial, der })
    }
}
