//! Where CA keys come from: generated into software (sealed with the passphrase)
//! or into the configured PKCS#11 token, and loaded back from their rows.

use pki::PkiError;
use std::sync::Arc;

use secrecy::SecretString;
use store::ca_keys::CaKeyRow;

use crate::signer::{Signer, SoftwareKey, Token};
use crate::{CaError, KeyAlgorithm, keywrap};

/// Where the CA key passphrase is set, for the message when it is wrong.
const PASSPHRASE_SETTING: &str = "ca.key_passphrase / CERTHALL_CA_PASSPHRASE";

pub const KIND_SOFTWARE: &str = "software";
pub const KIND_PKCS11: &str = "pkcs11";

/// The means to make and open CA keys. New keys go to the token when there is one.
#[derive(Clone, Default)]
pub struct KeyStore {
    pub passphrase: Option<SecretString>,
    pub token: Option<Arc<Token>>,
}

/// How a freshly generated key is recorded.
pub struct KeyRecord {
    pub kind: &'static str,
    pub blob: Option<Vec<u8>>,
    pub key_ref: Option<String>,
}

impl KeyStore {
    pub fn generate(
        &self,
        algorithm: KeyAlgorithm,
        row_id: &str,
        label: &str,
    ) -> Result<(Arc<dyn Signer>, KeyRecord), CaError> {
        if let Some(token) = &self.token {
            let (key, id) = token.generate(algorithm, label)?;
            return Ok((
                Arc::new(key),
                KeyRecord {
                    kind: KIND_PKCS11,
                    blob: None,
                    key_ref: Some(id),
                },
            ));
        }
        let passphrase = self.passphrase()?;
        let (key, pkcs8) = SoftwareKey::generate(algorithm)?;
        let sealed = keywrap::seal(passphrase, row_id, &pkcs8)?;
        Ok((
            Arc::new(key),
            KeyRecord {
                kind: KIND_SOFTWARE,
                blob: Some(sealed),
                key_ref: None,
            },
        ))
    }

    pub fn load(&self, row: &CaKeyRow) -> Result<Arc<dyn Signer>, CaError> {
        let algorithm: KeyAlgorithm = row.algorithm.parse()?;
        match row.key_kind.as_str() {
            KIND_SOFTWARE => {
                let blob = row.key_blob.as_deref().ok_or_else(|| {
                    PkiError::KeyAccess(format!("the {} key row has no key material", row.role))
                })?;
                let pkcs8 = keywrap::open(self.passphrase()?, &row.id, blob, PASSPHRASE_SETTING)?;
                Ok(Arc::new(SoftwareKey::from_pkcs8(algorithm, &pkcs8)?))
            }
            KIND_PKCS11 => {
                let token = self.token.as_ref().ok_or_else(|| {
                    PkiError::KeyAccess(format!(
                        "the {} CA key is in a PKCS#11 token, but no [ca.pkcs11] token is configured",
                        row.role
                    ))
                })?;
                let id = row.key_ref.as_deref().unwrap_or_default();
                Ok(Arc::new(token.key(algorithm, id)?))
            }
            other => Err(PkiError::KeyAccess(format!("unknown key kind `{other}`")).into()),
        }
    }

    fn passphrase(&self) -> Result<&SecretString, CaError> {
        self.passphrase.as_ref().ok_or_else(|| {
            PkiError::KeyAccess(
                "no CA key passphrase: set ca.key_passphrase or CERTHALL_CA_PASSPHRASE".into(),
            )
            .into()
        })
    }
}

impl KeyStore {
    /// Seals a small secret (the audit key, a USB key's SO PIN held in
    /// escrow), bound to `aad`: under the CA key passphrase when there is one,
    /// else by the CA's token.
    pub fn seal_secret(&self, aad: &str, secret: &[u8]) -> Result<Vec<u8>, CaError> {
        match &self.token {
            Some(token) if self.passphrase.is_none() => Ok(token.seal_secret(aad, secret)?),
            _ => Ok(keywrap::seal(self.passphrase()?, aad, secret)?),
        }
    }

    /// Opens what `seal_secret` sealed with the same `aad`.
    pub fn open_secret(
        &self,
        aad: &str,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, CaError> {
        if sealed.starts_with(crate::signer::TOKEN_SEALED_MAGIC) {
            let token = self.token.as_ref().ok_or_else(|| {
                PkiError::KeyAccess(
                    "a secret is sealed by the PKCS#11 token, but no [ca.pkcs11] token is configured"
                        .into(),
                )
            })?;
            return Ok(token.open_secret(aad, sealed)?);
        }
        Ok(keywrap::open(
            self.passphrase()?,
            aad,
            sealed,
            PASSPHRASE_SETTING,
        )?)
    }
}
