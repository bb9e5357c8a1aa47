//! What every command needs before it can work: the data directory, the
//! database (migrated), and the means to open CA keys.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ca::signer::Token;
use ca::{Authority, CaSettings, KeyStore};
use domain::SystemClock;
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
    let path = data_dir.join("ca").join("passphrase");
    if let Ok(text) = std::fs::read_to_string(&path) {
        tracing::warn!(
            path = %path.display(),
            "using the development CA key passphrase from the data directory; set CERTHALL_CA_PASSPHRASE in production"
        );
        return Ok(Some(SecretString::from(text.trim().to_string())));
    }
    if !create {
        return Ok(None);
    }
    prepare_data_dir(data_dir)?;
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
        .open(&path)
        .map_err(|e| AppError::file("cannot create", &path, e))?;
    f.write_all(pass.as_bytes())
        .map_err(|e| AppError::file("cannot write", &path, e))?;
    tracing::warn!(
        path = %path.display(),
        "generated a development CA key passphrase (mode 0600); set CERTHALL_CA_PASSPHRASE in production"
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
    let db = open_db(settings).await?;
    let keys = keystore(settings)?;
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
        upload_limit: p.upload_limit,
        ..ra::RaSettings::default()
    };
    Ok(ra::Ra {
        db: authority.db().clone(),
        clock,
        settings: ra_settings,
        sms: Arc::new(ra::sms::OutboxSms::new(
            settings.data_dir.join("outbox").join("sms.log"),
        )),
        blobs,
        catalog: settings.catalog.clone(),
        authority,
    })
}
