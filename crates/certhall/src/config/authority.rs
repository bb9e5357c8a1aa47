//! `[ca]`: the hierarchy made on first start, its policy and timings, and
//! where its keys live (sealed software keys, or a PKCS#11 token).

use std::path::PathBuf;
use std::time::Duration;

use ca::profile::CaNaming;
use ca::{CaSettings, KeyAlgorithm};
use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaConfig {
    /// Key algorithm of a CA created on first start or by `ca init`: p256
    /// (default), rsa2048, rsa3072 or sm2.
    pub algorithm: String,
    /// Passphrase sealing software CA keys. Prefer `CERTHALL_CA_PASSPHRASE`.
    /// Without either, a random one is generated into
    /// `<data_dir>/ca/passphrase` (mode 0600) and a warning is logged: fine on a
    /// laptop, not in production.
    pub key_passphrase: Option<String>,
    /// O= of the CA certificates. Default "certhall".
    pub organization: String,
    /// Prefix of the CA common names ("… Root CA"). Default "certhall".
    pub common_name: String,
    /// Certificate policy OID of your CP/CPS. The default is in the arc RFC 5612
    /// reserves for documentation: replace it before issuing for real.
    pub policy_oid: String,
    /// Longest certificate lifetime, in years. Default 5.
    pub max_years: u32,
    /// Let a P-256/RSA CA certify SM2 keys. Default false.
    pub allow_sm2_keys_under_non_sm2_ca: bool,
    /// OCSP answers' validity (nextUpdate − thisUpdate), hours. Default 24.
    pub ocsp_validity_hours: u64,
    /// How long a signed OCSP answer is reused before re-signing, seconds.
    /// Default 3600. Revocations evict it at once regardless.
    pub ocsp_cache_seconds: u64,
    /// How many signed OCSP answers to keep in memory. Default 100000.
    pub ocsp_cache_entries: usize,
    /// Lifetime of the delegated OCSP signer's certificate, days. Default 30.
    pub ocsp_signer_days: u32,
    /// CRL validity (nextUpdate − thisUpdate), hours. Default 24.
    pub crl_validity_hours: u64,
    /// Publish a fresh CRL at least this often, minutes. Default 60.
    pub crl_refresh_minutes: u64,
    /// Keep CA keys in a PKCS#11 token instead of sealed software keys.
    pub pkcs11: Option<Pkcs11Config>,
}

impl Default for CaConfig {
    fn default() -> Self {
        CaConfig {
            algorithm: "p256".into(),
            key_passphrase: None,
            organization: "certhall".into(),
            common_name: "certhall".into(),
            policy_oid: "1.3.6.1.4.1.32473.1.1".into(),
            max_years: 5,
            allow_sm2_keys_under_non_sm2_ca: false,
            ocsp_validity_hours: 24,
            ocsp_cache_seconds: 3600,
            ocsp_cache_entries: 100_000,
            ocsp_signer_days: 30,
            crl_validity_hours: 24,
            crl_refresh_minutes: 60,
            pkcs11: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Config {
    /// Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.
    pub module: PathBuf,
    /// Label of the token holding the CA keys.
    pub token_label: String,
    /// User PIN. Prefer `CERTHALL_HSM_PIN`.
    pub pin: Option<String>,
}

impl Pkcs11Config {
    /// Checks the section `section` (`ca.pkcs11`, `kmc.pkcs11`); the PIN
    /// comes from `pin_env` first.
    pub(super) fn resolve(
        self,
        section: &str,
        pin_env: &str,
    ) -> Result<ca::signer::TokenConfig, ConfigError> {
        if !self.module.exists() {
            return Err(bad(
                &format!("{section}.module"),
                format!("{} does not exist", self.module.display()),
            ));
        }
        if self.token_label.trim().is_empty() {
            return Err(bad(&format!("{section}.token_label"), "must not be empty"));
        }
        let pin = std::env::var(pin_env)
            .ok()
            .filter(|p| !p.is_empty())
            .or(self.pin)
            .ok_or_else(|| {
                bad(
                    &format!("{section}.pin"),
                    format!("missing: set it or {pin_env}"),
                )
            })?;
        Ok(ca::signer::TokenConfig {
            module: self.module,
            token_label: self.token_label,
            pin: SecretString::from(pin),
        })
    }
}

/// CA settings without the public URL (known only once the server is bound).
#[derive(Debug, Clone)]
pub struct CaSettingsTemplate {
    pub naming: CaNaming,
    pub max_years: u32,
    pub allow_sm2_keys_under_non_sm2_ca: bool,
    pub ocsp_validity: Duration,
    pub ocsp_cache_ttl: Duration,
    pub ocsp_cache_entries: usize,
    pub ocsp_signer_days: u32,
    pub crl_validity: Duration,
    pub crl_refresh: Duration,
}

impl CaSettingsTemplate {
    pub fn with_public_url(&self, public_url: &str) -> CaSettings {
        CaSettings {
            naming: self.naming.clone(),
            public_url: public_url.trim_end_matches('/').to_string(),
            max_years: self.max_years,
            allow_sm2_keys_under_non_sm2_ca: self.allow_sm2_keys_under_non_sm2_ca,
            ocsp_validity: self.ocsp_validity,
            ocsp_cache_ttl: self.ocsp_cache_ttl,
            ocsp_cache_entries: self.ocsp_cache_entries,
            ocsp_signer_days: self.ocsp_signer_days,
            crl_validity: self.crl_validity,
            crl_refresh: self.crl_refresh,
        }
    }
}

/// `[ca]` after validation.
#[derive(Debug, Clone)]
pub struct AuthoritySettings {
    pub algorithm: KeyAlgorithm,
    pub passphrase: Option<SecretString>,
    pub pkcs11: Option<ca::signer::TokenConfig>,
    pub template: CaSettingsTemplate,
}

impl CaConfig {
    pub(super) fn resolve(self) -> Result<AuthoritySettings, ConfigError> {
        let ca = self;
        let algorithm: KeyAlgorithm = ca
            .algorithm
            .parse()
            .map_err(|e: ca::PkiError| bad("ca.algorithm", e.to_string()))?;
        let policy_oid = ca.policy_oid.parse().map_err(|_| {
            bad(
                "ca.policy_oid",
                format!("`{}` is not an object identifier", ca.policy_oid),
            )
        })?;
        for (field, value) in [
            ("ca.organization", &ca.organization),
            ("ca.common_name", &ca.common_name),
        ] {
            if value.trim().is_empty() || value.chars().count() > 48 {
                return Err(bad(field, "must be 1 to 48 characters"));
            }
        }
        if !(1..=10).contains(&ca.max_years) {
            return Err(bad("ca.max_years", "must be between 1 and 10"));
        }
        if ca.ocsp_validity_hours == 0 || ca.ocsp_validity_hours > 24 * 7 {
            return Err(bad("ca.ocsp_validity_hours", "must be between 1 and 168"));
        }
        if ca.ocsp_cache_seconds > ca.ocsp_validity_hours * 3600 / 2 {
            return Err(bad(
                "ca.ocsp_cache_seconds",
                "must be at most half of ca.ocsp_validity_hours, so cached answers never go stale",
            ));
        }
        if !(2..=365).contains(&ca.ocsp_signer_days) {
            return Err(bad("ca.ocsp_signer_days", "must be between 2 and 365"));
        }
        if ca.crl_validity_hours == 0 || ca.crl_validity_hours > 24 * 30 {
            return Err(bad("ca.crl_validity_hours", "must be between 1 and 720"));
        }
        if ca.crl_refresh_minutes == 0
            || ca.crl_refresh_minutes * 60 >= ca.crl_validity_hours * 3600
        {
            return Err(bad(
                "ca.crl_refresh_minutes",
                "must be at least 1 and shorter than ca.crl_validity_hours",
            ));
        }
        let passphrase = std::env::var("CERTHALL_CA_PASSPHRASE")
            .ok()
            .filter(|p| !p.is_empty())
            .or(ca.key_passphrase.clone().filter(|p| !p.is_empty()));
        if let Some(p) = &passphrase
            && p.chars().count() < 12
        {
            return Err(bad(
                "ca.key_passphrase",
                "must be at least 12 characters (CERTHALL_CA_PASSPHRASE likewise)",
            ));
        }
        let pkcs11 = ca
            .pkcs11
            .map(|p| p.resolve("ca.pkcs11", "CERTHALL_HSM_PIN"))
            .transpose()?;
        Ok(AuthoritySettings {
            algorithm,
            passphrase: passphrase.map(SecretString::from),
            pkcs11,
            template: CaSettingsTemplate {
                naming: CaNaming {
                    organization: ca.organization,
                    common_name: ca.common_name,
                    policy_oid,
                },
                max_years: ca.max_years,
                allow_sm2_keys_under_non_sm2_ca: ca.allow_sm2_keys_under_non_sm2_ca,
                ocsp_validity: Duration::from_secs(ca.ocsp_validity_hours * 3600),
                ocsp_cache_ttl: Duration::from_secs(ca.ocsp_cache_seconds),
                ocsp_cache_entries: ca.ocsp_cache_entries,
                ocsp_signer_days: ca.ocsp_signer_days,
                crl_validity: Duration::from_secs(ca.crl_validity_hours * 3600),
                crl_refresh: Duration::from_secs(ca.crl_refresh_minutes * 60),
            },
        })
    }
}
