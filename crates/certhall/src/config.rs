//! Configuration: a TOML file (every field optional, each with a safe default that
//! runs on a laptop), overridden by environment variables and command-line flags.
//! Validated once at start-up; a bad value stops the program with a message that
//! names the field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ca::profile::CaNaming;
use ca::{CaSettings, KeyAlgorithm};
use secrecy::SecretString;
use serde::Deserialize;

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
    /// The price list, one entry per (business, certificate type). Entries given
    /// here replace the built-in defaults for that pair; prices edited later in
    /// the back office are kept.
    pub prices: Vec<PriceConfig>,
    /// The materials each business needs. If any are given, they replace the
    /// built-in list entirely.
    pub materials: Vec<MaterialConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalConfig {
    /// Largest upload, MB. Default 10.
    pub upload_limit_mb: usize,
    /// What one holder's unfinished applications may hold in all, MB.
    /// Default 100.
    pub upload_quota_mb: usize,
    /// …and in files. Default 40.
    pub upload_quota_files: i64,
    /// Uploads per holder per hour. Default 60.
    pub uploads_per_hour: i64,
    /// The SMS signature, 【…】. Default: branding.operator.
    pub sms_signature: Option<String>,
    /// How long an SMS code is valid, seconds. Default 300.
    pub sms_code_seconds: u64,
    /// Codes per number per hour. Default 5 (and at most one a minute).
    pub sms_per_number_hourly: i64,
    /// Codes per client address per hour. Default 20.
    pub sms_per_client_hourly: i64,
    /// 找回密码 needs a reviewer's approval after the SMS check. Default false.
    pub unlock_review: bool,
    /// 在线延期 is offered from this many days before a certificate's end…
    /// Default 90.
    pub renewal_before_days: u32,
    /// …until this many days after it. Default 365.
    pub renewal_after_days: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            upload_limit_mb: 10,
            upload_quota_mb: 100,
            upload_quota_files: 40,
            uploads_per_hour: 60,
            sms_signature: None,
            sms_code_seconds: 300,
            sms_per_number_hourly: 5,
            sms_per_client_hourly: 20,
            unlock_review: false,
            renewal_before_days: 90,
            renewal_after_days: 365,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentConfig {
    /// An unpaid order expires after this many minutes. Default 30.
    pub order_minutes: u64,
    /// Ask the gateway about an order whose notify has not come after this many
    /// seconds. Default 60.
    pub poll_seconds: u64,
    /// How often the payment jobs (expiry, polling, refunds) run, seconds. Default 10.
    pub jobs_seconds: u64,
    /// Refund a rejected application even after its certificate was issued.
    pub refund_after_issuance: bool,
    /// Without [payment.alipay] / [payment.wechat], run the sandbox gateway in
    /// the server so the paid flow works with no set-up. Default true.
    pub sandbox: bool,
    /// Where the in-process sandbox listens. Default 127.0.0.1:0 (any free port).
    pub sandbox_listen: String,
    /// The gateways' notify retry schedule is multiplied by this in the sandbox.
    pub sandbox_retry_scale: f64,
    pub alipay: Option<AlipayConfig>,
    pub wechat: Option<WechatConfig>,
    pub bank: Option<BankConfig>,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            order_minutes: 30,
            poll_seconds: 60,
            jobs_seconds: 10,
            refund_after_issuance: false,
            sandbox: true,
            sandbox_listen: "127.0.0.1:0".into(),
            sandbox_retry_scale: 0.002,
            alipay: None,
            wechat: None,
            bank: None,
        }
    }
}

/// Alipay 电脑网站支付 (production or Alipay's own sandbox).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlipayConfig {
    /// e.g. https://openapi.alipay.com/gateway.do
    pub gateway: String,
    pub app_id: String,
    /// The application's private key (PKCS#8 PEM, or base64 as Alipay's tool writes it).
    pub merchant_key_file: PathBuf,
    /// Alipay's public key (PEM or base64).
    pub alipay_public_key_file: PathBuf,
}

/// WeChat Pay API v3, Native.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatConfig {
    /// e.g. https://api.mch.weixin.qq.com
    pub base: String,
    pub appid: String,
    pub mchid: String,
    /// Serial number of the merchant API certificate.
    pub merchant_serial: String,
    pub merchant_key_file: PathBuf,
    /// Serial and public key of the platform certificate.
    pub platform_serial: String,
    pub platform_key_file: PathBuf,
    /// The 32-character APIv3 key. Prefer CERTHALL_WECHAT_APIV3_KEY.
    pub api_v3_key: Option<String>,
}

/// The account holders transfer to for 对公转账.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankConfig {
    pub name: String,
    pub bank: String,
    pub account: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvoiceConfig {
    /// 销售方 on invoices. Default: branding.operator.
    pub seller_name: Option<String>,
    /// 销售方纳税人识别号.
    pub seller_tax_id: String,
    /// A font with CJK and Latin glyphs. Default: WenQuanYi Micro Hei.
    pub font: PathBuf,
    /// Face index in a font collection.
    pub font_index: u32,
}

impl Default for InvoiceConfig {
    fn default() -> Self {
        InvoiceConfig {
            seller_name: None,
            seller_tax_id: "91340100000000000X".into(),
            font: PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            font_index: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// smtp://host:port (plain relay) or smtps://user:password@host (TLS). Empty:
    /// mail is written to <data_dir>/outbox/mail/.
    pub smtp_url: Option<String>,
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "certhall <noreply@certhall.localhost>".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlobsConfig {
    /// Where materials and invoices are kept: empty for `<data_dir>/blobs`, or
    /// `s3://bucket/prefix` (credentials and endpoint from the AWS_* variables).
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// new, renew, reissue, seal, unlock, change, revoke.
    pub business: String,
    /// enterprise or individual.
    pub cert_type: String,
    /// In yuan, e.g. "300" or "0" (free).
    pub yuan: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialConfig {
    pub business: String,
    pub cert_type: String,
    /// A stable key, e.g. business_license.
    pub kind: String,
    pub label: String,
    pub label_en: Option<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080` (loopback only: put a
    /// reverse proxy with TLS in front to serve the world).
    pub listen: String,
    /// The URL people and relying parties reach this server at; written into
    /// every certificate's AIA and CRL distribution point. Default
    /// `http://<listen>`.
    pub public_url: Option<String>,
    /// Bearer token a Prometheus scraper presents at `/metrics` (at least 24
    /// characters). Unset: `/metrics` is not served. Prefer
    /// `CERTHALL_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// Seconds a connection has to deliver a request's headers (idle
    /// keep-alive connections included). Default 10.
    pub header_read_timeout_seconds: u64,
    /// Connections one client address may hold at once; 0: no cap. Default
    /// 0, for the default set-up behind a reverse proxy (every connection
    /// then comes from the proxy, which limits clients itself); set it when
    /// clients connect directly.
    pub max_connections_per_client: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            metrics_token: None,
            header_read_timeout_seconds: 10,
            max_connections_per_client: 0,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: SQLite in the data
    /// directory. `CERTHALL_DATABASE_URL` and `--database-url` override it.
    pub url: Option<String>,
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrandingConfig {
    /// Shown in the header and page titles.
    pub platform_name: String,
    /// The CA operator's name (footer).
    pub operator: String,
    /// 客服热线.
    pub hotline: String,
    /// A logo file (PNG, JPEG or SVG) for the header. Default: none (initials).
    pub logo: Option<PathBuf>,
    /// The certificate assistant's build that 下载并安装 serves. Default:
    /// `certhall-assistant` next to the `certhall` program, if it is there.
    pub assistant_build: Option<PathBuf>,
}

impl Default for BrandingConfig {
    fn default() -> Self {
        BrandingConfig {
            platform_name: "certhall 证书网上服务平台".into(),
            operator: "certhall".into(),
            hotline: "400-000-0000".into(),
            logo: None,
            assistant_build: None,
        }
    }
}

/// A configuration value that is wrong, named by its path.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
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
}

/// Portal limits after validation.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub upload_limit: usize,
    pub upload_quota: ra::UploadQuota,
    pub sms_signature: String,
    pub sms_code_ttl: Duration,
    pub sms_per_number_hourly: i64,
    pub sms_per_client_hourly: i64,
    pub unlock_review: bool,
    pub renewal: domain::renewal::RenewalWindow,
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
        let database_url = o
            .database_url
            .filter(|u| !u.is_empty())
            .or(self.database.url.filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("certhall.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "database.url",
                "must start with sqlite:// or postgres://",
            ));
        }
        let listen_raw = o.listen.unwrap_or(self.server.listen);
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            bad(
                "server.listen",
                format!("`{listen_raw}` is not an address:port such as 127.0.0.1:8080"),
            )
        })?;
        let public_url = o.public_url.or(self.server.public_url);
        if !(1..=300).contains(&self.server.header_read_timeout_seconds) {
            return Err(bad(
                "server.header_read_timeout_seconds",
                "must be between 1 and 300",
            ));
        }
        let http = crate::http::HttpLimits {
            header_read_timeout: Duration::from_secs(self.server.header_read_timeout_seconds),
            max_connections_per_client: self.server.max_connections_per_client,
        };
        let metrics_token = std::env::var("CERTHALL_METRICS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or(self.server.metrics_token.filter(|t| !t.is_empty()));
        if let Some(t) = &metrics_token
            && (t.len() < 24 || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(bad(
                "server.metrics_token",
                "must be at least 24 printable ASCII characters (CERTHALL_METRICS_TOKEN likewise)",
            ));
        }
        if let Some(u) = &public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(bad(
                "server.public_url",
                format!("`{u}` must be an http:// or https:// URL"),
            ));
        }
        let ca = self.ca;
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
        let pkcs11 = match ca.pkcs11 {
            None => None,
            Some(p) => {
                if !p.module.exists() {
                    return Err(bad(
                        "ca.pkcs11.module",
                        format!("{} does not exist", p.module.display()),
                    ));
                }
                if p.token_label.trim().is_empty() {
                    return Err(bad("ca.pkcs11.token_label", "must not be empty"));
                }
                let pin = std::env::var("CERTHALL_HSM_PIN")
                    .ok()
                    .filter(|p| !p.is_empty())
                    .or(p.pin)
                    .ok_or_else(|| bad("ca.pkcs11.pin", "missing: set it or CERTHALL_HSM_PIN"))?;
                Some(ca::signer::TokenConfig {
                    module: p.module,
                    token_label: p.token_label,
                    pin: SecretString::from(pin),
                })
            }
        };
        let portal = self.portal;
        if !(1..=100).contains(&portal.upload_limit_mb) {
            return Err(bad("portal.upload_limit_mb", "must be between 1 and 100"));
        }
        if !(portal.upload_limit_mb..=10_000).contains(&portal.upload_quota_mb) {
            return Err(bad(
                "portal.upload_quota_mb",
                "must be at least portal.upload_limit_mb and at most 10000",
            ));
        }
        if !(1..=1000).contains(&portal.upload_quota_files) {
            return Err(bad(
                "portal.upload_quota_files",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=10_000).contains(&portal.uploads_per_hour) {
            return Err(bad(
                "portal.uploads_per_hour",
                "must be between 1 and 10000",
            ));
        }
        if !(60..=1800).contains(&portal.sms_code_seconds) {
            return Err(bad(
                "portal.sms_code_seconds",
                "must be between 60 and 1800",
            ));
        }
        if portal.sms_per_number_hourly < 1 {
            return Err(bad("portal.sms_per_number_hourly", "must be at least 1"));
        }
        if portal.sms_per_client_hourly < 1 {
            return Err(bad("portal.sms_per_client_hourly", "must be at least 1"));
        }
        if !(1..=365).contains(&portal.renewal_before_days) {
            return Err(bad(
                "portal.renewal_before_days",
                "must be between 1 and 365",
            ));
        }
        if portal.renewal_after_days > 3650 {
            return Err(bad("portal.renewal_after_days", "must be at most 3650"));
        }
        let blobs_url = self.blobs.url.filter(|u| !u.is_empty());
        if let Some(u) = &blobs_url
            && !u.starts_with("s3://")
        {
            return Err(bad(
                "blobs.url",
                format!("`{u}` must be empty (local) or s3://bucket"),
            ));
        }
        let catalog = catalog(self.prices, self.materials)?;
        let payment = self.payment;
        if !(1..=24 * 60).contains(&payment.order_minutes) {
            return Err(bad("payment.order_minutes", "must be between 1 and 1440"));
        }
        if payment.jobs_seconds == 0 || payment.poll_seconds == 0 {
            return Err(bad(
                "payment.jobs_seconds",
                "payment.jobs_seconds and payment.poll_seconds must be at least 1",
            ));
        }
        if payment.sandbox_listen.parse::<SocketAddr>().is_err() {
            return Err(bad(
                "payment.sandbox_listen",
                format!("`{}` is not an address:port", payment.sandbox_listen),
            ));
        }
        if !(payment.sandbox_retry_scale > 0.0 && payment.sandbox_retry_scale <= 1.0) {
            return Err(bad("payment.sandbox_retry_scale", "must be in (0, 1]"));
        }
        if let Some(a) = &payment.alipay {
            for (field, path) in [
                ("payment.alipay.merchant_key_file", &a.merchant_key_file),
                (
                    "payment.alipay.alipay_public_key_file",
                    &a.alipay_public_key_file,
                ),
            ] {
                if !path.exists() {
                    return Err(bad(field, format!("{} does not exist", path.display())));
                }
            }
        }
        if let Some(w) = &payment.wechat {
            for (field, path) in [
                ("payment.wechat.merchant_key_file", &w.merchant_key_file),
                ("payment.wechat.platform_key_file", &w.platform_key_file),
            ] {
                if !path.exists() {
                    return Err(bad(field, format!("{} does not exist", path.display())));
                }
            }
            let key = std::env::var("CERTHALL_WECHAT_APIV3_KEY")
                .ok()
                .or(w.api_v3_key.clone())
                .unwrap_or_default();
            if key.len() != 32 {
                return Err(bad(
                    "payment.wechat.api_v3_key",
                    "must be the 32-character APIv3 key (or set CERTHALL_WECHAT_APIV3_KEY)",
                ));
            }
        }
        let mail = self.mail;
        if let Some(u) = mail.smtp_url.as_deref().filter(|u| !u.is_empty())
            && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
        {
            return Err(bad(
                "mail.smtp_url",
                format!("`{u}` must start with smtp:// or smtps://"),
            ));
        }
        if mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "mail.from",
                format!("`{}` is not a mail address", mail.from),
            ));
        }
        let invoice = self.invoice;
        let b = self.branding;
        for (field, value) in [
            ("branding.platform_name", &b.platform_name),
            ("branding.operator", &b.operator),
            ("branding.hotline", &b.hotline),
        ] {
            if value.trim().is_empty() {
                return Err(bad(field, "must not be empty"));
            }
        }
        Ok(Settings {
            data_dir,
            database_url,
            listen,
            public_url,
            metrics_token: metrics_token.map(SecretString::from),
            http,
            algorithm,
            passphrase: passphrase.map(SecretString::from),
            pkcs11,
            ca: CaSettingsTemplate {
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
            portal: PortalSettings {
                upload_limit: portal.upload_limit_mb * 1024 * 1024,
                upload_quota: ra::UploadQuota {
                    bytes: (portal.upload_quota_mb * 1024 * 1024) as i64,
                    files: portal.upload_quota_files,
                    per_hour: portal.uploads_per_hour,
                },
                sms_signature: portal.sms_signature.unwrap_or_else(|| b.operator.clone()),
                sms_code_ttl: Duration::from_secs(portal.sms_code_seconds),
                sms_per_number_hourly: portal.sms_per_number_hourly,
                sms_per_client_hourly: portal.sms_per_client_hourly,
                unlock_review: portal.unlock_review,
                renewal: domain::renewal::RenewalWindow {
                    before_days: portal.renewal_before_days,
                    after_days: portal.renewal_after_days,
                },
            },
            blobs_url,
            catalog,
            payment,
            invoice,
            mail,
            branding: web::Branding {
                logo: match b.logo {
                    Some(path) => Some(std::sync::Arc::new(logo(&path)?)),
                    None => None,
                },
                assistant_build: b.assistant_build.or_else(|| {
                    std::env::current_exe()
                        .ok()
                        .map(|e| e.with_file_name("certhall-assistant"))
                        .filter(|p| p.is_file())
                }),
                platform_name: b.platform_name,
                operator: b.operator,
                hotline: b.hotline,
            },
        })
    }
}

/// The logo's content type and bytes, checked by content.
fn logo(path: &Path) -> Result<(String, Vec<u8>), ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        bad(
            "branding.logo",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
        "image/svg+xml"
    } else {
        return Err(bad("branding.logo", "must be a PNG, JPEG or SVG file"));
    };
    Ok((kind.to_string(), bytes))
}

/// The price list and materials: built-in defaults, overridden by the file.
fn catalog(
    prices: Vec<PriceConfig>,
    materials: Vec<MaterialConfig>,
) -> Result<ra::catalog::Catalog, ConfigError> {
    use domain::{Business, Fen, ProfileKind};
    let mut c = ra::catalog::Catalog::defaults();
    let business = |i: usize, b: &str, table: &str| -> Result<Business, ConfigError> {
        b.parse().map_err(|_| {
            bad(
                &format!("{table}[{i}].business"),
                format!("unknown business `{b}`"),
            )
        })
    };
    let cert_type = |i: usize, t: &str, table: &str| -> Result<ProfileKind, ConfigError> {
        t.parse().map_err(|_| {
            bad(
                &format!("{table}[{i}].cert_type"),
                "must be enterprise or individual",
            )
        })
    };
    for (i, p) in prices.iter().enumerate() {
        let b = business(i, &p.business, "prices")?;
        let t = cert_type(i, &p.cert_type, "prices")?;
        let amount = Fen::parse_yuan(&p.yuan)
            .map_err(|e| bad(&format!("prices[{i}].yuan"), e.to_string()))?;
        c.prices.retain(|x| !(x.business == b && x.cert_type == t));
        c.prices.push(ra::catalog::PriceSpec {
            business: b,
            cert_type: t,
            amount,
        });
    }
    if !materials.is_empty() {
        c.materials.clear();
        for (i, m) in materials.iter().enumerate() {
            let b = business(i, &m.business, "materials")?;
            let t = cert_type(i, &m.cert_type, "materials")?;
            if m.kind.is_empty() || !m.kind.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
                return Err(bad(
                    &format!("materials[{i}].kind"),
                    "use lower-case letters and _",
                ));
            }
            if m.label.trim().is_empty() {
                return Err(bad(&format!("materials[{i}].label"), "must not be empty"));
            }
            c.materials.push(ra::catalog::MaterialSpec {
                business: b,
                cert_type: t,
                kind: m.kind.clone(),
                label_zh: m.label.clone(),
                label_en: m.label_en.clone().unwrap_or_else(|| m.label.clone()),
                required: m.required,
            });
        }
    }
    Ok(c)
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
