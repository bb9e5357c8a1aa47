//! The KMC's master key (GM/T 0034 §6.3: the KMC protects escrowed keys under
//! its own key, never the CA's): 32 random bytes made on first start and kept
//! sealed in `kmc_secrets`, under the KMC's passphrase (Argon2id + AES-GCM,
//! `pki::keywrap`) or by an AES key inside its PKCS#11 token. Every use gets
//! a key of its own derived from it: the escrow key (each private key sealed
//! with AES-256-GCM, bound to its CA and certificate number), the key that
//! seals the KMC's signing key, and the audit key of the KMC's chain.
//!
//! Making the master key also starts the KMC's keyed audit chain: the same
//! transaction records its checkpoint, as the CA's installation key does.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use pki::keywrap;
use pki::signer::Token;
use secrecy::SecretString;
use store::Db;
use store::audit::AuditKey;
use zeroize::Zeroizing;

use crate::KmcError;

const NAME: &str = "master-key";
const AAD: &str = "certhall-kmc:master-key";
/// Where the passphrase is set, for the message when it is wrong.
const PASSPHRASE_SETTING: &str = "kmc.passphrase / CERTHALL_KMC_PASSPHRASE";
/// What sealed private keys start with: the layout's version.
const SEALED_MAGIC: &[u8; 4] = b"KME1";

/// What protects the master key.
#[derive(Clone)]
pub enum Protection {
    Passphrase(SecretString),
    Token(Arc<Token>),
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protection::Passphrase(_) => "Protection::Passphrase(..)",
            Protection::Token(_) => "Protection::Token(..)",
        })
    }
}

impl Protection {
    fn seal(&self, secret: &[u8]) -> Result<Vec<u8>, KmcError> {
        Ok(match self {
            Protection::Passphrase(p) => keywrap::seal(p, AAD, secret)?,
            Protection::Token(t) => t.seal_secret(AAD, secret)?,
        })
    }

    fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmcError> {
        // Sealed one way, configured the other: say so rather than "wrong".
        let by_token = sealed.starts_with(pki::signer::TOKEN_SEALED_MAGIC);
        match self {
            Protection::Passphrase(_) if by_token => {
                return Err(KmcError::Master(
                    "the master key is sealed by a PKCS#11 token: configure [kmc.pkcs11]".into(),
                ));
            }
            Protection::Token(_) if !by_token => {
                return Err(KmcError::Master(format!(
                    "the master key is sealed by a passphrase, not by the token of [kmc.pkcs11]: \
                     remove [kmc.pkcs11] and set {PASSPHRASE_SETTING} (a master key cannot move \
                     into a token after it is made)"
                )));
            }
            _ => {}
        }
        Ok(match self {
            Protection::Passphrase(p) => keywrap::open(p, AAD, sealed, PASSPHRASE_SETTING)
                .map_err(|_| {
                    KmcError::Master(format!("wrong passphrase (check {PASSPHRASE_SETTING})"))
                })?,
            Protection::Token(t) => t.open_secret(AAD, sealed)?,
        })
    }
}

/// The keys derived from the master key.
#[derive(Clone)]
pub struct Master {
    escrow: Arc<LessSafeKey>,
    identity: Arc<LessSafeKey>,
    pub audit: AuditKey,
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Master(..)")
    }
}

fn aead(key: &[u8]) -> Result<LessSafeKey, KmcError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key)
        .map_err(|_| KmcError::Master("cannot make an AES key".into()))?;
    Ok(LessSafeKey::new(unbound))
}

impl Master {
    fn derive(master: &[u8]) -> Result<Master, KmcError> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, master);
        let sub = |label: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(hmac::sign(&key, label).as_ref());
            out
        };
        let audit = sub(b"certhall kmc audit key v1");
        Ok(Master {
            escrow: Arc::new(aead(sub(b"certhall kmc escrow key v1").as_ref())?),
            identity: Arc::new(aead(sub(b"certhall kmc identity key v1").as_ref())?),
            audit: AuditKey::new(*audit),
        })
    }

    /// Opens the master key in `db`, making it on first start, and hands the
    /// audit key to `db`.
    pub async fn open(db: &Db, protection: &Protection, now: i64) -> Result<Master, KmcError> {
        let existing = store::kmc::sealed_secret(&mut *db.conn().await?, NAME).await?;
        let master = match existing {
            Some(sealed) => Self::derive(&open_blocking(protection, sealed).await?)?,
            None => {
                let mut fresh = Zeroizing::new([0u8; 32]);
                SystemRandom::new()
                    .fill(fresh.as_mut())
                    .map_err(|_| KmcError::Master("no randomness".into()))?;
                let sealed = {
                    let (protection, fresh) = (protection.clone(), fresh.clone());
                    tokio::task::spawn_blocking(move || protection.seal(fresh.as_ref()))
                        .await
                        .map_err(|_| KmcError::Master("sealing stopped".into()))??
                };
                let mut tx = db.begin().await?;
                if store::kmc::insert_secret(&mut tx, NAME, &sealed, now).await? {
                    let master = Self::derive(fresh.as_ref())?;
                    store::audit::checkpoint(&mut tx, &master.audit, now).await?;
                    tx.commit().await.map_err(store::StoreError::from)?;
                    tracing::info!("made the KMC's master key");
                    master
                } else {
                    // Another process made it a moment ago: use theirs.
                    drop(tx);
                    let sealed = store::kmc::sealed_secret(&mut *db.conn().await?, NAME)
                        .await?
                        .ok_or(store::StoreError::NotFound)?;
                    Self::derive(&open_blocking(protection, sealed).await?)?
                }
            }
        };
        db.set_audit_key(master.audit.clone());
        Ok(master)
    }

    /// Seals an escrowed private key, bound to `aad` (its CA and number).
    pub fn seal_private(&self, aad: &str, private: &[u8]) -> Result<Vec<u8>, KmcError> {
        seal_with(&self.escrow, aad, private)
    }

    /// Opens what [`Self::seal_private`] sealed under the same `aad`.
    pub fn open_private(&self, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmcError> {
        open_with(&self.escrow, aad, sealed)
    }

    /// Seals the KMC's own signing key (PKCS#8).
    pub fn seal_identity(&self, pkcs8: &[u8]) -> Result<Vec<u8>, KmcError> {
        seal_with(&self.identity, "certhall-kmc:signing-key", pkcs8)
    }

    pub fn open_identity(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmcError> {
        open_with(&self.identity, "certhall-kmc:signing-key", sealed)
    }
}

async fn open_blocking(
    protection: &Protection,
    sealed: Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>, KmcError> {
    let protection = protection.clone();
    tokio::task::spawn_blocking(move || protection.open(&sealed))
        .await
        .map_err(|_| KmcError::Master("opening stopped".into()))?
}

/// `KME1 | nonce (12) | ciphertext ‖ tag`.
fn seal_with(key: &LessSafeKey, aad: &str, plain: &[u8]) -> Result<Vec<u8>, KmcError> {
    let mut nonce = [0u8; 12];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| KmcError::Master("no randomness".into()))?;
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad.as_bytes()),
        &mut body,
    )
    .map_err(|_| KmcError::Master("sealing failed".into()))?;
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(SEALED_MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

fn open_with(key: &LessSafeKey, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmcError> {
    let refused = || KmcError::Master(format!("a sealed key ({aad}) does not open"));
    if sealed.len() < 16 + 16 || &sealed[..4] != SEALED_MAGIC {
        return Err(refused());
    }
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&sealed[4..16]);
    let mut body = Zeroizing::new(sealed[16..].to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut body,
        )
        .map_err(|_| refused())?
        .len();
    body.truncate(len);
    Ok(body)
}
