//! What every command needs before it can work: the data directory, the
//! database (migrated), and the means to open CA keys.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca::authority::Secrets;
use ca::signer::Token;
use ca::{Authority, CaSettings, KeyStore};
use domain::{Clock, SystemClock};
use secrecy::SecretString;
use store::Db;

use crate::AppError;
use crate::config::Settings;

/// Creates the data directory layout: blobs (materials, invoices), outboxes
/// (SMS and mail without a provider), ca (the development passphrase).
pub fn prepare_data_dir(dir: &Path) -> Result<(), AppError> {
    for sub in ["", "blobs", "outbox", "outbox/mail", "ca"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| AppError::file("cannot create", &p, e))?;
    }
    Ok(())
}

/// Connects and applies pending migrations.
pub async fn open_db(settings: &Settings) -> Result<Db, AppError> {
    if settings.database_url.starts_with("sqlite:") {
        prepare_data_dir(&settings.data_dir)?;
    }
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// The database with the installation's secrets open (made on first start):
/// what every command that writes the audit log needs.
pub async fn open_store(settings: &Settings) -> Result<(Db, KeyStore, Secrets), AppError> {
    let db = open_db(settings).await?;
    let keys = keystore(settings)?;
    let now = SystemClock.now_ms();
    let secrets = ca::authority::open_secrets(&db, &keys, now).await?;
    Ok((db, keys, secrets))
}

/// Where keys are made and opened: the configured token, a configured
/// passphrase, or (development only) a generated passphrase kept in the data
/// directory with mode 0600.
pub fn keystore(settings: &Settings) -> Result<KeyStore, AppError> {
    let token = match &settings.pkcs11 {
        Some(cfg) => Some(Token::open(cfg)?),
        None => None,
    };
    let passphrase = match (&settings.passphrase, &token) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(_)) => dev_passphrase(&settings.data_dir, false)?,
        (None, None) => dev_passphrase(&settings.data_dir, true)?,
    };
    Ok(KeyStore { passphrase, token })
}

fn dev_passphrase(data_dir: &Path, create: bool) -> Result<Option<SecretString>, AppError> {
    dev_secret(
        &data_dir.join("ca").join("passphrase"),
        create,
        "CA key passphrase",
        "CERTHALL_CA_PASSPHRASE",
    )
}

/// A development passphrase kept in a file (mode 0600), made when `create`
/// and missing; each use warns that production sets `env` instead.
pub fn dev_secret(
    path: &Path,
    create: bool,
    what: &str,
    env: &str,
) -> Result<Option<SecretString>, AppError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        tracing::warn!(
            path = %path.display(),
            "using the development {what} from the data directory; set {env} in production"
        );
        return Ok(Some(SecretString::from(text.trim().to_string())));
    }
    if !create {
        return Ok(None);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| AppError::file("cannot create", dir, e))?;
    }
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Input("the system random generator failed".into()))?;
    let pass = hex::encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| AppError::file("cannot create", path, e))?;
    f.write_all(pass.as_bytes())
        .map_err(|e| AppError::file("cannot write", path, e))?;
    tracing::warn!(
        path = %path.display(),
        "generated a development {what} (mode 0600); set {env} in production"
    );
    Ok(Some(SecretString::from(pass)))
}

/// The public URL: configured, or derived from where we listen.
pub fn public_url(settings: &Settings, bound: std::net::SocketAddr) -> String {
    settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"))
        .trim_end_matches('/')
        .to_string()
}

pub fn ca_settings(settings: &Settings, public_url: &str) -> CaSettings {
    settings.ca.with_public_url(public_url)
}

/// Opens the database and the CA, for CLI commands that act as the CA.
pub async fn load_authority(settings: &Settings) -> Result<Arc<Authority>, AppError> {
    let (db, keys, _) = open_store(settings).await?;
    let url = public_url(settings, settings.listen);
    Ok(Authority::load(db, keys, ca_settings(settings, &url), Arc::new(SystemClock)).await?)
}

/// The registration authority, wired to this installation's SMS outbox and blob
/// store.
pub fn ra(
    settings: &Settings,
    public_url: &str,
    authority: Arc<Authority>,
    clock: Arc<dyn domain::Clock>,
    pay: ra::payments::Payments,
    secrets: Secrets,
) -> Result<ra::Ra, AppError> {
    let blobs = match &settings.blobs_url {
        Some(url) => ra::blobs::BlobStore::s3(url),
        None => ra::blobs::BlobStore::local(&settings.data_dir.join("blobs")),
    }
    .map_err(|e| AppError::Input(format!("blob store: {e}")))?;
    let p = &settings.portal;
    let ra_settings = ra::RaSettings {
        public_url: public_url.to_string(),
        sms_signature: p.sms_signature.clone(),
        sms_code_ttl: p.sms_code_ttl,
        sms_per_number_hourly: p.sms_per_number_hourly,
        sms_per_client_hourly: p.sms_per_client_hourly,
        unlock_review: p.unlock_review,
        renewal: p.renewal,
        renewal_new_encryption_key: settings.kmc.renewal_new_encryption_key,
        upload_limit: p.upload_limit,
        upload_quota: p.upload_quota,
        ..ra::RaSettings::default()
    };
    Ok(ra::Ra::new(ra::RaParts {
        db: authority.db().clone(),
        clock,
        settings: ra_settings,
        sms: Arc::new(ra::sms::OutboxSms::new(
            settings.data_dir.join("outbox").join("sms.log"),
        )),
        blobs,
        catalog: settings.catalog.clone(),
        authority,
        pay,
        secrets,
    }))
}

/// The sandbox gateway running inside the server.
pub struct Sandbox {
    pub base: String,
    pub state: Arc<payment::sim::SimState>,
    pub task: tokio::task::JoinHandle<()>,
}

/// The sandbox's keys, kept in `<data_dir>/paysim/` (mode 0600) so that a
/// restarted server and `certhall paysim` agree on them.
pub struct SandboxKeys {
    pub merchant: payment::keys::PrivateKey,
    pub alipay: payment::keys::PrivateKey,
    pub platform: payment::keys::PrivateKey,
    pub api_v3_key: [u8; 32],
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), AppError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| AppError::file("cannot create", path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| AppError::file("cannot write", path, e))
}

pub fn sandbox_keys(data_dir: &Path) -> Result<SandboxKeys, AppError> {
    let dir = data_dir.join("paysim");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::file("cannot create", &dir, e))?;
    let key = |name: &str| -> Result<payment::keys::PrivateKey, AppError> {
        let path = dir.join(format!("{name}.pem"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            return payment::keys::PrivateKey::from_text(&text)
                .map_err(|e| AppError::Input(format!("{}: {e}", path.display())));
        }
        let (k, pem) =
            payment::keys::PrivateKey::generate().map_err(|e| AppError::Input(e.to_string()))?;
        write_private(&path, &pem)?;
        Ok(k)
    };
    let v3_path = dir.join("apiv3.key");
    let stored = std::fs::read_to_string(&v3_path)
        .ok()
        .and_then(|t| <[u8; 32]>::try_from(t.trim().as_bytes()).ok());
    let api_v3_key = match stored {
        Some(k) => k,
        None => {
            // 32 characters of a fresh token (base64url: ASCII).
            let token = ra::random::token();
            let text = &token[..32];
            write_private(&v3_path, text)?;
            let mut k = [0u8; 32];
            k.copy_from_slice(text.as_bytes());
            k
        }
    };
    Ok(SandboxKeys {
        merchant: key("merchant")?,
        alipay: key("alipay")?,
        platform: key("platform")?,
        api_v3_key,
    })
}

pub const SANDBOX_APP_ID: &str = "2021000000000001";
pub const SANDBOX_APPID: &str = "wx0000000000000001";
pub const SANDBOX_MCHID: &str = "1900000001";
pub const SANDBOX_PLATFORM_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";

fn public_of(k: &payment::keys::PrivateKey) -> Result<payment::keys::PublicKey, AppError> {
    k.public_pem()
        .and_then(|p| payment::keys::PublicKey::from_text(&p))
        .map_err(|e| AppError::Input(e.to_string()))
}

/// The sandbox's routes and state, for `serve` (in-process) and `paysim`.
/// Its trades are kept in `<data_dir>/paysim/trades.json`, as a real
/// gateway keeps them, so a restart loses no payment.
pub fn sandbox_state(
    keys: SandboxKeys,
    base: &str,
    retry_scale: f64,
    data_dir: &Path,
) -> Result<Arc<payment::sim::SimState>, AppError> {
    let merchant_public = public_of(&keys.merchant)?;
    let journal = data_dir.join("paysim").join("trades.json");
    let config = payment::sim::SimConfig {
        public_base: base.to_string(),
        alipay_app_id: SANDBOX_APP_ID.into(),
        wechat_appid: SANDBOX_APPID.into(),
        wechat_mchid: SANDBOX_MCHID.into(),
        platform_serial: SANDBOX_PLATFORM_SERIAL.into(),
        alipay_key: keys.alipay,
        platform_key: keys.platform,
        merchant_alipay_public: merchant_public.clone(),
        merchant_wechat_public: merchant_public,
        api_v3_key: keys.api_v3_key,
        retry_scale,
    };
    payment::sim::with_journal(config, journal.clone())
        .map_err(|e| AppError::file("cannot read", journal, e))
}

fn read_text(path: &Path) -> Result<String, AppError> {
    std::fs::read_to_string(path).map_err(|e| AppError::file("cannot read", path, e))
}

/// The payment centre's channels, mail and invoice set-up. Starts the sandbox
/// gateway when no real gateway is configured.
pub async fn payments(
    settings: &Settings,
    public_url: &str,
) -> Result<(ra::payments::Payments, Option<Sandbox>), AppError> {
    use payment::keys::{PrivateKey, PublicKey};
    let p = &settings.payment;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| AppError::Input(e.to_string()))?;
    let notify = |c: &str| format!("{public_url}/pay/notify/{c}");
    let bad_key = |field: &str, e: payment::PaymentError| AppError::Input(format!("{field}: {e}"));
    let mut alipay = match &p.alipay {
        Some(a) => Some(payment::alipay::Alipay {
            gateway: a.gateway.clone(),
            app_id: a.app_id.clone(),
            merchant_key: Arc::new(
                PrivateKey::from_text(&read_text(&a.merchant_key_file)?)
                    .map_err(|e| bad_key("payment.alipay.merchant_key_file", e))?,
            ),
            alipay_key: PublicKey::from_text(&read_text(&a.alipay_public_key_file)?)
                .map_err(|e| bad_key("payment.alipay.alipay_public_key_file", e))?,
            notify_url: notify("alipay"),
            return_url: format!("{public_url}/pay/return/alipay"),
            http: http.clone(),
        }),
        None => None,
    };
    let mut wechat = match &p.wechat {
        Some(w) => {
            // Resolved (from the environment or the file) by the configuration.
            let key = w.api_v3_key.clone().unwrap_or_default();
            Some(payment::wechat::WeChat {
                base: w.base.clone(),
                appid: w.appid.clone(),
                mchid: w.mchid.clone(),
                merchant_serial: w.merchant_serial.clone(),
                merchant_key: Arc::new(
                    PrivateKey::from_text(&read_text(&w.merchant_key_file)?)
                        .map_err(|e| bad_key("payment.wechat.merchant_key_file", e))?,
                ),
                platform_serial: w.platform_serial.clone(),
                platform_key: PublicKey::from_text(&read_text(&w.platform_key_file)?)
                    .map_err(|e| bad_key("payment.wechat.platform_key_file", e))?,
                api_v3_key: key.as_bytes().try_into().map_err(|_| {
                    AppError::Input("payment.wechat.api_v3_key must be 32 characters".into())
                })?,
                notify_url: notify("wechat"),
                http: http.clone(),
            })
        }
        None => None,
    };
    let mut sandbox = None;
    let mut bank = p.bank.as_ref().map(|b| ra::payments::BankAccount {
        name: b.name.clone(),
        bank: b.bank.clone(),
        account: b.account.clone(),
    });
    if p.sandbox && alipay.is_none() && wechat.is_none() {
        let keys = sandbox_keys(&settings.data_dir)?;
        let merchant = Arc::new(
            PrivateKey::from_text(&read_text(&settings.data_dir.join("paysim/merchant.pem"))?)
                .map_err(|e| bad_key("paysim", e))?,
        );
        let alipay_public = public_of(&keys.alipay)?;
        let platform_public = public_of(&keys.platform)?;
        let api_v3_key = keys.api_v3_key;
        let addr: std::net::SocketAddr = p
            .sandbox_listen
            .parse()
            .map_err(|_| AppError::Input("payment.sandbox_listen".into()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| AppError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| AppError::Bind { addr, source })?;
        let base = format!("http://{bound}");
        let state = sandbox_state(keys, &base, p.sandbox_retry_scale, &settings.data_dir)?;
        let router = payment::sim::router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        state.resume();
        tracing::warn!(sandbox = %base, "payments go to the built-in sandbox gateway; configure [payment.alipay] and [payment.wechat] for real money");
        alipay = Some(payment::alipay::Alipay {
            gateway: format!("{base}/alipay/gateway.do"),
            app_id: SANDBOX_APP_ID.into(),
            merchant_key: merchant.clone(),
            alipay_key: alipay_public,
            notify_url: notify("alipay"),
            return_url: format!("{public_url}/pay/return/alipay"),
            http: http.clone(),
        });
        wechat = Some(payment::wechat::WeChat {
            base: base.clone(),
            appid: SANDBOX_APPID.into(),
            mchid: SANDBOX_MCHID.into(),
            merchant_serial: "SANDBOXMERCHANT".into(),
            merchant_key: merchant,
            platform_serial: SANDBOX_PLATFORM_SERIAL.into(),
            platform_key: platform_public,
            api_v3_key,
            notify_url: notify("wechat"),
            http,
        });
        bank.get_or_insert(ra::payments::BankAccount {
            name: format!("{}（沙箱账户）", settings.branding.operator),
            bank: "沙箱银行合肥分行".into(),
            account: "6222 0000 0000 0000 000".into(),
        });
        sandbox = Some(Sandbox { base, state, task });
    }
    let mailer = match settings.mail.smtp_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => ra::mail::Mailer::smtp(url, &settings.mail.from)
            .map_err(|e| AppError::Input(format!("mail.smtp_url: {e}")))?,
        None => ra::mail::Mailer::outbox(
            &settings.data_dir.join("outbox").join("mail"),
            &settings.mail.from,
        ),
    };
    let fonts = match invoice::Fonts::load(
        &settings.invoice.font.display().to_string(),
        settings.invoice.font_index,
    ) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e, "invoices cannot be issued until the invoice font is installed (apt-get install fonts-wqy-microhei)");
            None
        }
    };
    Ok((
        ra::payments::Payments {
            alipay,
            wechat,
            bank,
            order_ttl: std::time::Duration::from_secs(p.order_minutes * 60),
            poll_after: std::time::Duration::from_secs(p.poll_seconds),
            refund_after_issuance: p.refund_after_issuance,
            mailer,
            fonts,
            seller: ra::payments::Seller {
                name: settings
                    .invoice
                    .seller_name
                    .clone()
                    .unwrap_or_else(|| settings.branding.operator.clone()),
                tax_id: settings.invoice.seller_tax_id.clone(),
            },
        },
        sandbox,
    ))
}
