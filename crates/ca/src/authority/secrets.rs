//! The installation's secrets: one random key, made on first start and stored
//! sealed (`server_secrets`) under the CA key passphrase or by the CA's token,
//! like the CA keys themselves. Each use gets its own key derived from it:
//! the audit key (every audit entry's MAC) and the hand-off challenges' key.
//!
//! The audit key's creation is also where keyed audit begins: the same
//! transaction records an authenticated checkpoint of the audit head, so the
//! entries of an upgraded installation keep their plain chain up to it and
//! every later one carries a MAC.

use pki::PkiError;
use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::Db;
use store::audit::AuditKey;
use zeroize::Zeroizing;

use super::keys::KeyStore;
use crate::CaError;

/// The row of `server_secrets` holding the installation key.
const NAME: &str = "installation-key";

/// The keys derived from the installation key.
#[derive(Clone)]
pub struct Secrets {
    pub audit: AuditKey,
    challenge: Arc<Zeroizing<[u8; 32]>>,
}

impl Secrets {
    /// The key of the hand-off challenges' MACs.
    pub fn challenge_key(&self) -> &[u8; 32] {
        &self.challenge
    }

    fn derive(master: &[u8]) -> Secrets {
        let key = hmac::Key::new(hmac::HMAC_SHA256, master);
        let sub = |label: &[u8]| {
            let mut out = [0u8; 32];
            out.copy_from_slice(hmac::sign(&key, label).as_ref());
            out
        };
        Secrets {
            audit: AuditKey::new(sub(b"certhall audit key v1")),
            challenge: Arc::new(Zeroizing::new(sub(b"certhall hand-off challenge key v1"))),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

/// Opens the installation's secrets, making them on first start, and hands
/// the audit key to `db` (and so to every clone of it).
pub async fn open_secrets(db: &Db, keys: &KeyStore, now: i64) -> Result<Secrets, CaError> {
    let aad = format!("certhall-secret:{NAME}");
    let existing = store::secrets::sealed(&mut *db.conn().await?, NAME).await?;
    let master = match existing {
        Some(sealed) => open(keys, &aad, sealed).await?,
        None => {
            let mut fresh = Zeroizing::new([0u8; 32]);
            SystemRandom::new()
                .fill(fresh.as_mut())
                .map_err(|_| PkiError::Signing)?;
            let sealed = {
                let (keys, aad, fresh) = (keys.clone(), aad.clone(), fresh.clone());
                tokio::task::spawn_blocking(move || keys.seal_secret(&aad, fresh.as_ref()))
                    .await
                    .map_err(|_| PkiError::Signing)??
            };
            let mut tx = db.begin().await?;
            if store::secrets::insert(&mut tx, NAME, &sealed, now).await? {
                let secrets = Secrets::derive(fresh.as_ref());
                let c = store::audit::checkpoint(&mut tx, &secrets.audit, now).await?;
                tx.commit().await.map_err(store::StoreError::from)?;
                if c.seq > 0 {
                    tracing::warn!(
                        audit.keyed_after = c.seq,
                        "made the installation key: audit entries from now on carry a MAC; \
                         the ones before keep their hash chain only"
                    );
                } else {
                    tracing::info!("made the installation key");
                }
                db.set_audit_key(secrets.audit.clone());
                return Ok(secrets);
            }
            // Another process made it a moment ago: use theirs.
            drop(tx);
            let sealed = store::secrets::sealed(&mut *db.conn().await?, NAME)
                .await?
                .ok_or(store::StoreError::NotFound)?;
            open(keys, &aad, sealed).await?
        }
    };
    let secrets = Secrets::derive(master.as_ref());
    db.set_audit_key(secrets.audit.clone());
    Ok(secrets)
}

async fn open(keys: &KeyStore, aad: &str, sealed: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, CaError> {
    let (keys, aad) = (keys.clone(), aad.to_string());
    tokio::task::spawn_blocking(move || keys.open_secret(&aad, &sealed))
        .await
        .map_err(|_| PkiError::Signing)?
}
