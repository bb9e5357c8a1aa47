//! `[kmc]`: the key management centre of an SM2 CA (GM/T 0034), which makes
//! and escrows every holder's encryption key pair. By default it runs inside
//! `certhall serve` on a database of its own; `url` points the CA at one run
//! apart with `certhall kmc serve`, which reads the same section.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KmcConfig {
    /// Under an SM2 CA, issue every SM2 signing certificate with an
    /// encryption certificate whose key pair the KMC makes. Default true.
    /// (A P-256 or RSA CA never does.)
    pub dual_certificates: bool,
    /// The URL of a KMC run apart (`certhall kmc serve`), e.g.
    /// `http://kmc.internal:8090/kmc/v1/tasks`. Default: none, the KMC runs
    /// inside `certhall serve`.
    pub url: Option<String>,
    /// With `url`: that KMC's certificate (PEM or DER), issued by this CA
    /// with `certhall ca certify-kmc`.
    pub certificate_file: Option<PathBuf>,
    /// The KMC's database: never the CA's. Default SQLite
    /// `<data_dir>/kmc/kmc.db`; `CERTHALL_KMC_DATABASE_URL` overrides it.
    pub database_url: Option<String>,
    /// Passphrase sealing the KMC's master key. Prefer
    /// `CERTHALL_KMC_PASSPHRASE`. Without either, a random one is generated
    /// into `<data_dir>/kmc/passphrase` (mode 0600): fine on a laptop only.
    pub passphrase: Option<String>,
    /// `certhall kmc serve`: where to listen. Default 127.0.0.1:8091.
    pub listen: String,
    /// Keep the master key sealed by an AES key inside a PKCS#11 token (the
    /// KMC's HSM) instead of a passphrase: opening the escrowed keys then
    /// needs the token, not just the database and a secret. The PIN comes
    /// from `CERTHALL_KMC_HSM_PIN` first. Not with `passphrase`.
    pub pkcs11: Option<super::authority::Pkcs11Config>,
    /// `certhall kmc serve`: the issuing CA certificate (PEM or DER) whose
    /// requests it answers.
    pub ca_certificate_file: Option<PathBuf>,
    /// 在线延期 under an SM2 CA: a new encryption key pair (true, the
    /// default: a renewed certificate is a new key's, as GM/T 0034 §12.3's
    /// 密钥更新) or the same pair certified again (false: files encrypted to
    /// the old certificate open with the new one without a recovery). With
    /// false the CA asks the KMC to envelope the escrowed key to the new
    /// signing key (RestoreKeyReq) and index it under the new encryption
    /// certificate's number; the old number's escrow is revoked with the old
    /// certificate, the new one's stays. A key whose certificate was revoked
    /// for another reason than renewal is never certified again.
    pub renewal_new_encryption_key: bool,
}

impl Default for KmcConfig {
    fn default() -> Self {
        KmcConfig {
            dual_certificates: true,
            url: None,
            certificate_file: None,
            database_url: None,
            passphrase: None,
            listen: "127.0.0.1:8091".into(),
            pkcs11: None,
            ca_certificate_file: None,
            renewal_new_encryption_key: true,
        }
    }
}

/// `[kmc]` after validation.
#[derive(Debug, Clone)]
pub struct KmcSettings {
    pub dual_certificates: bool,
    /// A KMC apart: its URL and certificate file.
    pub remote: Option<(String, PathBuf)>,
    pub database_url: String,
    pub passphrase: Option<SecretString>,
    pub dir: PathBuf,
    pub listen: SocketAddr,
    /// The master key's token, when it is in one.
    pub pkcs11: Option<ca::signer::TokenConfig>,
    pub ca_certificate_file: Option<PathBuf>,
    pub renewal_new_encryption_key: bool,
}

impl KmcConfig {
    pub(super) fn resolve(self, data_dir: &Path) -> Result<KmcSettings, ConfigError> {
        let dir = data_dir.join("kmc");
        let remote = match (self.url.filter(|u| !u.is_empty()), self.certificate_file) {
            (None, None) => None,
            (Some(url), Some(file)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(bad("kmc.url", "must start with http:// or https://"));
                }
                Some((url, file))
            }
            (Some(_), None) => {
                return Err(bad(
                    "kmc.certificate_file",
                    "is needed with kmc.url: the KMC's certificate, from `certhall ca certify-kmc`",
                ));
            }
            (None, Some(_)) => {
                return Err(bad("kmc.url", "is needed with kmc.certificate_file"));
            }
        };
        let database_url = std::env::var("CERTHALL_KMC_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or(self.database_url.filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("sqlite://{}", dir.join("kmc.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "kmc.database_url",
                "must start with sqlite:// or postgres://",
            ));
        }
        let passphrase = std::env::var("CERTHALL_KMC_PASSPHRASE")
            .ok()
            .filter(|p| !p.is_empty())
            .or(self.passphrase.filter(|p| !p.is_empty()));
        if let Some(p) = &passphrase
            && p.chars().count() < 12
        {
            return Err(bad(
                "kmc.passphrase",
                "must be at least 12 characters (CERTHALL_KMC_PASSPHRASE likewise)",
            ));
        }
        let pkcs11 = self
            .pkcs11
            .map(|p| p.resolve("kmc.pkcs11", "CERTHALL_KMC_HSM_PIN"))
            .transpose()?;
        if pkcs11.is_some() && passphrase.is_some() {
            return Err(bad(
                "kmc.passphrase",
                "is not used with kmc.pkcs11 (the token seals the master key): remove one \
                 (CERTHALL_KMC_PASSPHRASE likewise)",
            ));
        }
        let listen = self.listen.parse().map_err(|_| {
            bad(
                "kmc.listen",
                "must be an address and port, e.g. 127.0.0.1:8091",
            )
        })?;
        Ok(KmcSettings {
            dual_certificates: self.dual_certificates,
            remote,
            database_url,
            passphrase: passphrase.map(SecretString::from),
            dir,
            listen,
            pkcs11,
            ca_certificate_file: self.ca_certificate_file,
            renewal_new_encryption_key: self.renewal_new_encryption_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::authority::Pkcs11Config;

    fn refused(config: KmcConfig) -> ConfigError {
        config
            .resolve(Path::new("/var/lib/certhall"))
            .expect_err("refused")
    }

    fn token(module: &str) -> Option<Pkcs11Config> {
        Some(Pkcs11Config {
            module: module.into(),
            token_label: "certhall-kmc".into(),
            pin: Some("246810".into()),
        })
    }

    /// Each wrong `[kmc]` names its field and says what to do. (The PIN is
    /// given in the file, so `CERTHALL_KMC_HSM_PIN` is not needed here.)
    #[test]
    fn a_wrong_kmc_section_names_its_field() {
        let e = refused(KmcConfig {
            url: Some("http://kmc.internal:8091/kmc/v1/tasks".into()),
            ..KmcConfig::default()
        });
        assert_eq!(e.field, "kmc.certificate_file");
        let e = refused(KmcConfig {
            url: Some("kmc.internal:8091".into()),
            certificate_file: Some("kmc.pem".into()),
            ..KmcConfig::default()
        });
        assert_eq!(e.field, "kmc.url");
        let e = refused(KmcConfig {
            pkcs11: token("/nonexistent/libsofthsm2.so"),
            ..KmcConfig::default()
        });
        assert_eq!(e.field, "kmc.pkcs11.module");
        assert!(e.message.contains("does not exist"), "{e}");
        // An existing file stands in for the module: only the section is read.
        let module = env!("CARGO_MANIFEST_DIR").to_string() + "/Cargo.toml";
        let e = refused(KmcConfig {
            pkcs11: token(&module),
            passphrase: Some("a passphrase long enough".into()),
            ..KmcConfig::default()
        });
        assert_eq!(e.field, "kmc.passphrase");
        assert!(e.message.contains("not used with kmc.pkcs11"), "{e}");
        let settings = KmcConfig {
            pkcs11: token(&module),
            ..KmcConfig::default()
        }
        .resolve(Path::new("/var/lib/certhall"))
        .expect("a token alone is fine");
        assert!(settings.pkcs11.is_some() && settings.passphrase.is_none());
    }
}
