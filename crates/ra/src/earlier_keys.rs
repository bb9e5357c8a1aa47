//! 在线补办 with the earlier encryption keys back (GM/T 0034 §12.4, 用户密钥
//! 恢复): the lost key held the encryption private keys of the holder's
//! earlier certificates, so files encrypted to them no longer open. When the
//! holder ticked 取回原加密密钥 on the 补办 form, the new key (proved by its
//! new certificate) asks for each of them again: the KMC envelopes each
//! escrowed key to a fresh SM2 key the assistant makes in a container of its
//! own in the new USB key (an SKF container has one encryption slot, and
//! `SKF_ImportECCKeyPair` opens an envelope with the container's own signing
//! key), which then holds that key and its old encryption certificate.
//!
//! Which keys: those of the lost certificate and of the certificates it
//! replaced (证书变更, 在线延期, 在线补办, as far back as the applications
//! go), one per key pair (a renewal that kept its key adds none), revoked or
//! not: decrypting old files is what they are for. Every restore is in the
//! CA's audit chain (`key_recovery.holder`) and the KMC's.

use std::collections::HashSet;

use domain::{AppState, Business, Serial};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::applications::{self, ApplicationRow};
use store::certificates::{self, CertificateRow};
use store::{audit, pairs};

use crate::proof::Accept;
use crate::{Msg, Ra, RaError};

/// How far back a lineage is followed (a holder renewing yearly for decades).
const MAX_LINEAGE: usize = 64;

/// What the new key signs to list the earlier keys.
pub fn earlier_keys_message(nonce: &str) -> Vec<u8> {
    format!("certhall-earlier-keys:{nonce}").into_bytes()
}

/// What the new key signs to have one earlier key enveloped to `recipient`
/// (DER SubjectPublicKeyInfo of the key made for it).
pub fn earlier_key_message(nonce: &str, serial: &str, recipient: &[u8]) -> Vec<u8> {
    format!(
        "certhall-earlier-key:{nonce}:{serial}:{}",
        hex::encode(Sha256::digest(recipient))
    )
    .into_bytes()
}

/// An earlier encryption certificate.
#[derive(Debug, Clone)]
pub struct EarlierKey {
    pub serial: Serial,
    pub cert_der: Vec<u8>,
}

/// An earlier key, enveloped to the key made for it.
#[derive(Debug, Clone)]
pub struct RestoredKey {
    pub serial: Serial,
    pub cert_der: Vec<u8>,
    /// The SKF `ENVELOPEDKEYBLOB` `SKF_ImportECCKeyPair` takes.
    pub skf_blob: Vec<u8>,
}

fn refused(words: &'static str) -> RaError {
    RaError::Conflict(Msg::new(words))
}

impl Ra {
    /// The encryption certificates of `signing_serial` (hex) and of those it
    /// replaced, newest first, one per key pair.
    pub async fn earlier_encryption_keys(
        &self,
        signing_serial: &str,
    ) -> Result<Vec<EarlierKey>, RaError> {
        let mut conn = self.db.conn().await?;
        let (mut out, mut keys, mut seen) = (Vec::new(), HashSet::new(), HashSet::new());
        let mut next = Some(signing_serial.to_string());
        while let Some(serial) = next.take() {
            if seen.len() >= MAX_LINEAGE || !seen.insert(serial.clone()) {
                break;
            }
            let Some(row) = certificates::by_serial(&mut conn, &serial).await? else {
                break;
            };
            if let Some(pair) = pairs::by_signing(&mut conn, &serial).await?
                && let Some(public) = pair.public_key
                && let Some(enc) = certificates::by_serial(&mut conn, &pair.encryption_serial)
                    .await?
                    .and_then(|c| c.cert_der)
                && keys.insert(public)
            {
                out.push(EarlierKey {
                    serial: Serial::parse(&pair.encryption_serial)
                        .map_err(|_| RaError::NotFound)?,
                    cert_der: enc,
                });
            }
            next = match row.request_id.strip_prefix("application:") {
                Some(id) => applications::by_id(&mut conn, id)
                    .await?
                    .and_then(|a| a.cert_serial),
                None => None,
            };
        }
        Ok(out)
    }

    /// The 在线补办 whose new certificate is `new`, with the earlier keys
    /// asked back; its lost certificate.
    async fn restoring(&self, new: &CertificateRow) -> Result<(ApplicationRow, String), RaError> {
        let not_asked =
            || refused("该证书不是勾选了“取回原加密密钥”的在线补办所签发，没有可取回的原加密密钥");
        let id = new
            .request_id
            .strip_prefix("application:")
            .ok_or_else(not_asked)?;
        let app = applications::by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or_else(not_asked)?;
        let form: crate::business::ApplicationForm =
            serde_json::from_str(&app.form).map_err(|_| RaError::NotFound)?;
        if app.business != Business::Reissue
            || !form.restore_earlier_keys
            || !matches!(app.state, AppState::Approved | AppState::Completed)
        {
            return Err(not_asked());
        }
        let lost = app.cert_serial.clone().ok_or_else(not_asked)?;
        Ok((app, lost))
    }

    /// The earlier keys the proving certificate may have back (none when it
    /// is not of a 补办 that asked for them).
    pub async fn earlier_keys(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<Vec<EarlierKey>, RaError> {
        let new = self
            .prove(
                certificate,
                nonce,
                &earlier_keys_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        // Not asked for (or not a 补办): nothing to bring back.
        match self.restoring(&new).await {
            Ok((_, lost)) => self.earlier_encryption_keys(&lost).await,
            Err(RaError::Conflict(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// One earlier key (`serial`, hex), enveloped by the KMC to the SM2 key
    /// `recipient` (DER SubjectPublicKeyInfo) the assistant made for it. The
    /// same key and recipient asked again is the same KMC task.
    pub async fn restore_earlier_key(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        serial: &str,
        recipient: &[u8],
    ) -> Result<RestoredKey, RaError> {
        let serial = Serial::parse(serial)
            .map_err(|_| RaError::Invalid(Msg::new("加密证书序列号格式不正确")))?;
        if ca::verify::sm2_point_of_spki(recipient).is_err() {
            return Err(RaError::Invalid(Msg::new(
                "接收原加密密钥的公钥必须是 SM2 公钥（DER SubjectPublicKeyInfo）",
            )));
        }
        // Every check before the challenge is used up: a refusal changes
        // nothing.
        let (new, expires_at) = self
            .check_proof(
                certificate,
                nonce,
                &earlier_key_message(nonce, &serial.to_hex(), recipient),
                signature,
                Accept::Valid,
            )
            .await?;
        let (app, lost) = self.restoring(&new).await?;
        let key = self
            .earlier_encryption_keys(&lost)
            .await?
            .into_iter()
            .find(|k| k.serial == serial)
            .ok_or_else(|| refused("该加密证书不是原证书（或其更早证书）的加密证书，不能取回"))?;
        self.use_challenge(nonce, expires_at).await?;
        let digest = Sha256::digest(format!(
            "certhall-earlier-key:{}:{}:{}",
            app.id,
            serial.to_hex(),
            hex::encode(Sha256::digest(recipient))
        ));
        let mut task = [0u8; 8];
        task.copy_from_slice(&digest[..8]);
        let task_no = u64::from_be_bytes(task) >> 1;
        let record = json!({
            "kind": "holder",
            "application": app.id,
            "holder": app.holder_id,
            "certificate": new.serial,
        })
        .to_string();
        let envelope = self
            .authority
            .restore_key(&serial, recipient, task_no, &record)
            .await?;
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &format!("holder:{}", app.holder_id),
                action: "key_recovery.holder",
                object: &app.id,
                details: json!({
                    "encryption_serial": serial.to_hex(),
                    "certificate": new.serial,
                    "recipient_sha256": hex::encode(Sha256::digest(recipient)),
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %app.id, cert.encryption_serial = %serial, "an earlier encryption key went back to its holder");
        Ok(RestoredKey {
            serial,
            cert_der: key.cert_der,
            skf_blob: envelope.to_skf_blob(),
        })
    }
}
