//! The KMC in this installation: opening it (its database, master key and
//! identity), running it inside `certhall serve` for an SM2 CA when no KMC
//! URL is configured, or pointing the CA at one run apart; and `certhall kmc
//! serve`, which runs it alone.

use std::path::Path;
use std::sync::Arc;

use ca::Authority;
use ca::authority::kmc::KmcLink;
use kmc::{Kmc, Protection};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::AppError;
use crate::config::Settings;
use crate::setup;

/// What protects the KMC's master key: its token, its passphrase, or
/// (development) a passphrase generated into `<data_dir>/kmc/passphrase`.
fn protection(settings: &Settings) -> Result<Protection, AppError> {
    if let Some(token) = &settings.kmc.pkcs11 {
        return Ok(Protection::Token(ca::signer::Token::open(token)?));
    }
    let passphrase = match &settings.kmc.passphrase {
        Some(p) => p.clone(),
        None => setup::dev_secret(
            &settings.kmc.dir.join("passphrase"),
            true,
            "KMC master key passphrase",
            "CERTHALL_KMC_PASSPHRASE",
        )?
        .ok_or_else(|| AppError::Input("no KMC passphrase".into()))?,
    };
    Ok(Protection::Passphrase(passphrase))
}

/// Opens the KMC on its own (migrated) database, serving the CAs whose
/// certificates are `trusted`.
pub async fn open(settings: &Settings, trusted: &[Vec<u8>]) -> Result<Arc<Kmc>, AppError> {
    if settings.kmc.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.kmc.dir)
            .map_err(|e| AppError::file("cannot create", &settings.kmc.dir, e))?;
    }
    if settings.kmc.database_url == settings.database_url {
        return Err(AppError::Input(
            "kmc.database_url is the CA's database: the KMC needs a database of its own".into(),
        ));
    }
    let db = store::Db::connect(&settings.kmc.database_url).await?;
    db.migrate_kmc().await?;
    Ok(Kmc::open(db, &protection(settings)?, trusted).await?)
}

/// The KMC running inside `certhall serve`.
pub struct InProcess {
    pub kmc: Arc<Kmc>,
    pub url: String,
    pub task: JoinHandle<()>,
}

/// Connects the CA to its KMC when it issues dual certificates (an SM2 CA,
/// `kmc.dual_certificates`): the one at `kmc.url`, or one started here on a
/// loopback port, certified by this CA on first start.
pub async fn connect(
    settings: &Settings,
    authority: &Arc<Authority>,
) -> Result<Option<InProcess>, AppError> {
    if !authority.algorithm().is_sm2() || !settings.kmc.dual_certificates {
        return Ok(None);
    }
    if let Some((url, file)) = &settings.kmc.remote {
        let cert = read_certificate(file)?;
        authority.set_kmc(KmcLink::new(url, &cert)?);
        tracing::info!(kmc.url = %url, "encryption key pairs come from the KMC");
        return Ok(None);
    }
    let kmc = open(settings, &[authority.issuing_der().to_vec()]).await?;
    if kmc.certificate().is_none() {
        let cert = authority
            .certify_kmc(kmc.signing_spki(), "system:serve")
            .await?;
        kmc.install_certificate(&cert).await?;
        tracing::info!("certified the built-in KMC's signing key");
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| AppError::Bind {
            addr: ([127, 0, 0, 1], 0).into(),
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| AppError::Bind {
        addr: ([127, 0, 0, 1], 0).into(),
        source,
    })?;
    let url = format!("http://{bound}/kmc/v1/tasks");
    let router = kmc::http::router(kmc.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let cert = kmc
        .certificate()
        .ok_or_else(|| AppError::Input("the KMC has no certificate".into()))?
        .to_vec();
    authority.set_kmc(KmcLink::new(&url, &cert)?);
    tracing::warn!(
        kmc.url = %url,
        kmc.database = %store::redact_url(&settings.kmc.database_url),
        "the KMC runs inside certhall serve; set kmc.url to use one run apart (certhall kmc serve)"
    );
    Ok(Some(InProcess { kmc, url, task }))
}

/// A certificate in PEM (the first of a bundle) or DER.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, AppError> {
    let bytes = std::fs::read(path).map_err(|e| AppError::file("cannot read", path, e))?;
    if !bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    first_pem(&text, "CERTIFICATE")
        .ok_or_else(|| AppError::Input(format!("{}: not a PEM certificate", path.display())))
}

/// The DER of the first PEM block labelled `label` in `text`.
fn first_pem(text: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// `certhall kmc serve`: the KMC alone, for the CA whose issuing certificate
/// is `kmc.ca_certificate_file`. Until that CA has certified the KMC's key
/// (`certhall kmc init`, `certhall ca certify-kmc`, `certhall kmc install`)
/// it answers nothing but says what is missing.
pub async fn serve(settings: &Settings) -> Result<(), AppError> {
    let kmc = open_alone(settings).await?;
    if kmc.certificate().is_none() {
        return Err(AppError::Input(
            "the KMC has no certificate yet: run `certhall kmc init` here, `certhall ca certify-kmc` \
             on the CA, then `certhall kmc install CERT` here"
                .into(),
        ));
    }
    let listener = TcpListener::bind(settings.kmc.listen)
        .await
        .map_err(|source| AppError::Bind {
            addr: settings.kmc.listen,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| AppError::Bind {
        addr: settings.kmc.listen,
        source,
    })?;
    println!("the KMC is serving on http://{bound}/kmc/v1/tasks");
    let router = kmc::http::router(kmc.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(crate::server::shutdown_signal())
        .await
        .map_err(|source| AppError::Bind {
            addr: settings.kmc.listen,
            source,
        })?;
    kmc.db().close().await;
    Ok(())
}

async fn open_alone(settings: &Settings) -> Result<Arc<Kmc>, AppError> {
    let file = settings.kmc.ca_certificate_file.as_ref().ok_or_else(|| {
        AppError::Input(
            "kmc.ca_certificate_file: the issuing CA certificate whose requests this KMC answers"
                .into(),
        )
    })?;
    open(settings, &[read_certificate(file)?]).await
}

/// `certhall kmc init`: makes the master and signing keys (if new) and
/// prints the signing public key (PEM), for `certhall ca certify-kmc`.
pub async fn init(settings: &Settings) -> Result<(), AppError> {
    let kmc = open(settings, &[]).await?;
    print!("{}", ca::authority::pem("PUBLIC KEY", kmc.signing_spki()));
    kmc.db().close().await;
    Ok(())
}

/// `certhall kmc install CERT`: keeps the certificate the CA issued (the
/// first of the file `certhall ca certify-kmc` printed).
pub async fn install(settings: &Settings, cert: &Path) -> Result<(), AppError> {
    let kmc = open(settings, &[]).await?;
    kmc.install_certificate(&read_certificate(cert)?).await?;
    println!("installed the KMC's certificate");
    kmc.db().close().await;
    Ok(())
}

/// `certhall ca certify-kmc KEY`: the CA certifies a KMC's signing key
/// (a PEM public key from `certhall kmc init`); prints the certificate,
/// then the issuing CA's (what the KMC's `kmc.ca_certificate_file` names).
pub async fn certify(settings: &Settings, key: &Path) -> Result<(), AppError> {
    let text = std::fs::read_to_string(key).map_err(|e| AppError::file("cannot read", key, e))?;
    let spki = first_pem(&text, "PUBLIC KEY")
        .ok_or_else(|| AppError::Input(format!("{}: not a PEM public key", key.display())))?;
    let authority = setup::load_authority(settings).await?;
    let cert = authority
        .certify_kmc(&spki, &crate::commands::ca::actor())
        .await?;
    print!("{}", ca::authority::pem("CERTIFICATE", &cert));
    print!(
        "{}",
        ca::authority::pem("CERTIFICATE", authority.issuing_der())
    );
    authority.db().close().await;
    Ok(())
}
