//! Configuration: a TOML file (every field optional, each with a safe default that
//! runs on a laptop), overridden by environment variables and command-line flags.
//! Validated once at start-up; a bad value stops the program with a message that
//! names the field.
//!
//! Each section of the file has its module, which reads that section and
//! resolves it into settings holding parsed values; `Config::resolve` joins
//! them. Nothing after this validates configuration again.

mod authority;
mod blobs;
mod branding;
mod database;
mod error;
mod invoice;
mod kmc;
mod mail;
mod payment;
mod portal;
mod prices;
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ca::KeyAlgorithm;
use secrecy::SecretString;
use serde::Deserialize;

pub use authority::{CaConfig, CaSettingsTemplate, Pkcs11Config};
pub use blobs::BlobsConfig;
pub use branding::BrandingConfig;
pub use database::DatabaseConfig;
pub use error::ConfigError;
use error::bad;
pub use invoice::InvoiceConfig;
pub use kmc::{KmcConfig, KmcSettings};
pub use mail::MailConfig;
pub use payment::{AlipayConfig, BankConfig, PaymentConfig, WechatConfig};
pub use portal::{PortalConfig, PortalSettings};
pub use prices::{MaterialConfig, PriceConfig};
pub use server::ServerConfig;

/// The whole configuration file. See `docs/config.example.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where certhall keeps its SQLite database, blobs and outboxes.
    /// Default `./certhall-data`.
    pub data_dir: Option<PathBuf>,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub ca: CaConfig,
    pub branding: BrandingConfig,
    pub portal: PortalConfig,
    pub blobs: BlobsConfig,
    pub payment: PaymentConfig,
    pub invoice: InvoiceConfig,
    pub mail: MailConfig,
    pub kmc: KmcConfig,
    /// The price list, one entry per (business, certificate type). Entries given
    /// here replace the built-in defaults for that pair; prices edited later in
    /// the back office are kept.
    pub prices: Vec<PriceConfig>,
    /// The materials each business needs. If any are given, they replace the
    /// built-in list entirely.
    pub materials: Vec<MaterialConfig>,
}

/// Values from the command line and environment that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
}

/// The configuration after merging and validation: what the program runs on.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    /// None: derive from the bound address (lets tests listen on port 0).
    pub public_url: Option<String>,
    /// What a scraper presents at `/metrics`; None: not served.
    pub metrics_token: Option<SecretString>,
    pub http: crate::http::HttpLimits,
    pub algorithm: KeyAlgorithm,
    pub passphrase: Option<SecretString>,
    pub pkcs11: Option<ca::signer::TokenConfig>,
    pub ca: CaSettingsTemplate,
    pub branding: web::Branding,
    pub portal: PortalSettings,
    pub blobs_url: Option<String>,
    pub catalog: ra::catalog::Catalog,
    pub payment: PaymentConfig,
    pub invoice: InvoiceConfig,
    pub mail: MailConfig,
    pub kmc: KmcSettings,
}

impl Config {
    /// Reads a TOML file. Unknown keys and wrong types are errors naming the key.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad("--config", format!("cannot read {}: {e}", path.display())))?;
        Config::from_toml(&text, &path.display().to_string())
    }

    /// Parses TOML text; `origin` names it where no key can be named.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            let field = e
                .span()
                .and_then(|span| key_at(text, span.start))
                .unwrap_or_else(|| origin.to_string());
            ConfigError { field, message }
        })
    }

    /// Merges overrides and environment, and checks every value.
    pub fn resolve(self, o: Overrides) -> Result<Settings, ConfigError> {
        let data_dir = o
            .data_dir
            .or(self.data_dir)
            .unwrap_or_else(|| PathBuf::from("./certhall-data"));
        if data_dir.as_os_str().is_empty() {
            return Err(bad("data_dir", "must not be empty"));
        }
        let database_url = self.database.resolve(o.database_url, &data_dir)?;
        let server = self.server.resolve(o.listen, o.public_url)?;
        let authority = self.ca.resolve()?;
        let branding = self.branding.resolve()?;
        let portal = self.portal.resolve(&branding.operator)?;
        let kmc = self.kmc.resolve(&data_dir)?;
        Ok(Settings {
            data_dir,
            database_url,
            listen: server.listen,
            public_url: server.public_url,
            metrics_token: server.metrics_token,
            http: server.http,
            algorithm: authority.algorithm,
            passphrase: authority.passphrase,
            pkcs11: authority.pkcs11,
            ca: authority.template,
            portal,
            blobs_url: self.blobs.resolve()?,
            catalog: prices::catalog(self.prices, self.materials)?,
            payment: self.payment.resolve()?,
            invoice: self.invoice,
            mail: self.mail.resolve()?,
            kmc,
            branding,
        })
    }
}

/// The dotted key whose value starts at byte `offset` of a TOML document, from
/// the nearest `[table]` header and `key =` before it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let mut table = String::new();
    for line in before.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
    }
    let line = before.rsplit('\n').next().unwrap_or("").to_string();
    let current_line_start = before.len() - line.len();
    let full_line = text[current_line_start..].lines().next().unwrap_or("");
    let key = full_line.split('=').next()?.trim();
    if key.is_empty() || key.starts_with('[') {
        return (!table.is_empty()).then_some(table);
    }
    Some(if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, toml_text).unwrap();
        Config::from_file(&p)?.resolve(Overrides::default())
    }

    #[test]
    fn empty_file_gives_laptop_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./certhall-data"));
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.algorithm, KeyAlgorithm::P256);
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse("[server]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(e.field, "server.listen");
        let e = parse("[ca]\nalgorithm = \"dsa\"\n").unwrap_err();
        assert_eq!(e.field, "ca.algorithm");
        assert!(e.to_string().contains("unknown key algorithm `dsa`"));
        let e = parse("[ca]\nmax_years = \"three\"\n").unwrap_err();
        assert_eq!(e.field, "ca.max_years");
        let e = parse("[ca]\nmax_yaers = 3\n").unwrap_err();
        assert!(e.to_string().contains("max_yaers"), "{e}");
        let e = parse("[server]\npublic_url = \"ftp://x\"\n").unwrap_err();
        assert_eq!(e.field, "server.public_url");
        let e = parse("[ca]\nkey_passphrase = \"short\"\n").unwrap_err();
        assert_eq!(e.field, "ca.key_passphrase");
    }

    /// 下载并安装 never offers holders a file that is not a Debian package:
    /// a wrong path is said at start-up, naming the field and the file.
    #[test]
    fn the_assistant_package_must_be_a_deb() {
        let dir = tempfile::tempdir().unwrap();
        let not_deb = dir.path().join("certhall-assistant_0.1.0_amd64.deb");
        std::fs::write(&not_deb, b"#!/bin/sh\necho not a package, a script\n").unwrap();
        for path in [not_deb, dir.path().join("missing.deb")] {
            let e = parse(&format!(
                "[branding]\nassistant_package = \"{}\"\n",
                path.display()
            ))
            .unwrap_err();
            assert_eq!(e.field, "branding.assistant_package");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
        let deb = dir.path().join("ok.deb");
        std::fs::write(
            &deb,
            b"!<arch>\ndebian-binary   1733500000  0     0     100644  4         `\n2.0\n",
        )
        .unwrap();
        let s = parse(&format!(
            "[branding]\nassistant_package = \"{}\"\n",
            deb.display()
        ))
        .unwrap();
        assert_eq!(s.branding.assistant_package, Some(deb));
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    /// docs/config.example.toml documents every field; it must stay valid.
    #[test]
    fn the_documented_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.example.toml");
        let settings = Config::from_file(&path)
            .expect("example parses")
            .resolve(Overrides::default())
            .expect("example validates");
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.ca.max_years, 5);
    }
}
