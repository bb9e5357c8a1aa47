//! `certhall ca …`: the CA from the command line. Safe while the server runs:
//! everything goes through the database, and the server notices revocations
//! within a second.

use std::sync::Arc;

use ca::authority::{IssueRequest, pem};
use ca::{Authority, KeyAlgorithm};
use domain::{ProfileKind, RevocationReason, Serial, SubjectInfo, SystemClock};
use store::certificates;

use crate::cli::{CaCommand, IssueArgs};
use crate::config::Settings;
use crate::{AppError, setup};

pub(crate) fn actor() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

pub async fn run(settings: &Settings, cmd: CaCommand) -> Result<(), AppError> {
    match cmd {
        CaCommand::Init { algorithm } => init(settings, algorithm).await,
        CaCommand::Show => show(settings).await,
        CaCommand::Issue(args) => issue(settings, args).await,
        CaCommand::Revoke { serial, reason } => revoke(settings, &serial, &reason).await,
        CaCommand::Crl { out } => crl(settings, out).await,
        CaCommand::CertifyKmc { key } => crate::kmc::certify(settings, &key).await,
    }
}

async fn init(settings: &Settings, algorithm: Option<String>) -> Result<(), AppError> {
    let algorithm: KeyAlgorithm = match algorithm {
        Some(a) => a.parse()?,
        None => settings.algorithm,
    };
    let (db, keys, _) = setup::open_store(settings).await?;
    let url = setup::public_url(settings, settings.listen);
    let report = Authority::init(
        &db,
        &keys,
        &setup::ca_settings(settings, &url),
        &SystemClock,
        algorithm,
        &actor(),
    )
    .await?;
    db.close().await;
    println!("created a {} CA", report.algorithm);
    println!(
        "  root:    {} (serial {})",
        report.root_subject, report.root_serial
    );
    println!(
        "  issuing: {} (serial {})",
        report.issuing_subject, report.issuing_serial
    );
    Ok(())
}

async fn show(settings: &Settings) -> Result<(), AppError> {
    let authority = setup::load_authority(settings).await?;
    let mut conn = authority.db().conn().await?;
    let root = store::ca_keys::latest(&mut conn, "root").await?;
    let issuing = store::ca_keys::latest(&mut conn, "issuing").await?;
    let ocsp = store::ca_keys::latest(&mut conn, "ocsp").await?;
    let counts = certificates::counts(&mut conn).await?;
    let crl = store::crls::latest_meta(&mut conn, authority.issuer_id()).await?;
    drop(conn);
    println!("algorithm: {}", authority.algorithm());
    for (label, row) in [("root", root), ("issuing", issuing), ("ocsp signer", ocsp)] {
        if let Some(r) = row {
            println!(
                "{label}: {}\n  serial {}  key {}  valid {} – {}  sha256 {}",
                r.subject,
                r.serial,
                r.key_kind,
                ca::asn1time::rfc3339(r.not_before),
                ca::asn1time::rfc3339(r.not_after),
                sha256_hex(&r.cert_der)
            );
        }
    }
    println!(
        "certificates: {} issued, {} revoked, {} pending",
        counts.issued, counts.revoked, counts.pending
    );
    match crl {
        Some(c) => println!(
            "crl: number {}, this update {}, next update {}",
            c.number,
            ca::asn1time::rfc3339(c.this_update),
            ca::asn1time::rfc3339(c.next_update)
        ),
        None => println!("crl: none published yet"),
    }
    println!("public url: {}", authority.settings().public_url);
    authority.db().close().await;
    Ok(())
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(b))
}

async fn issue(settings: &Settings, a: IssueArgs) -> Result<(), AppError> {
    // Everything the operator typed is checked before the CA is touched.
    let kind: ProfileKind = a
        .profile
        .parse()
        .map_err(|e: domain::ParseError| AppError::Input(e.to_string()))?;
    let subject = SubjectInfo::parse(
        kind,
        Some(&a.cn),
        a.org.as_deref(),
        a.credit_code.as_deref(),
        a.id_number.as_deref(),
    )
    .map_err(|e| AppError::Input(e.to_string()))?;
    if a.days.is_some_and(|d| d == 0 || d > 3660) {
        return Err(AppError::Input("--days: 1 to 3660".into()));
    }
    let csr = std::fs::read(&a.csr).map_err(|e| AppError::file("cannot read", &a.csr, e))?;
    let authority = setup::load_authority(settings).await?;
    let wants_pair = a.encryption_certificate.is_some() || a.enveloped_key.is_some();
    if wants_pair && !(authority.algorithm().is_sm2() && settings.kmc.dual_certificates) {
        authority.db().close().await;
        return Err(AppError::Input(
            "--encryption-certificate, --enveloped-key: this CA issues no encryption pairs \
             (only an SM2 CA with kmc.dual_certificates does)"
                .into(),
        ));
    }
    // Under an SM2 CA issuing dual certificates the pair comes with the
    // signing certificate, as on the platform: from the KMC at kmc.url, or
    // one started here on loopback.
    let kmc = match crate::kmc::connect(settings, &authority).await {
        Ok(kmc) => kmc,
        Err(e) => {
            authority.db().close().await;
            return Err(e);
        }
    };
    // Days count from now on the CA's own clock, as years do.
    let not_after_ms = a
        .days
        .map(|d| authority.now_ms() + i64::from(d) * 86_400_000);
    let issued = authority
        .issue(IssueRequest {
            request_id: a
                .request_id
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            csr,
            subject,
            years: a.years,
            not_after_ms,
            actor: actor(),
            keep_encryption_of: None,
        })
        .await;
    if let Some(kmc) = kmc {
        kmc.task.abort();
        kmc.kmc.db().close().await;
    }
    authority.db().close().await;
    let issued = issued?;
    eprintln!(
        "{} certificate {}",
        if issued.replayed {
            "returned existing"
        } else {
            "issued"
        },
        issued.serial
    );
    match &issued.encryption {
        Some(pair) => {
            eprintln!(
                "with encryption certificate {} (双证书: its key pair from the KMC{})",
                pair.serial,
                if wants_pair {
                    ""
                } else {
                    "; --encryption-certificate and --enveloped-key write them, \
                     the same --request-id again returns them"
                }
            );
            if let Some(path) = &a.encryption_certificate {
                std::fs::write(path, pem("CERTIFICATE", &pair.cert_der))
                    .map_err(|e| AppError::file("cannot write", path, e))?;
            }
            if let Some(path) = &a.enveloped_key {
                let der = pair.key_envelope()?.to_sm2_enveloped_key()?;
                std::fs::write(path, der).map_err(|e| AppError::file("cannot write", path, e))?;
            }
        }
        None if wants_pair => {
            return Err(AppError::Input(
                "the certificate was issued without an encryption pair (not an SM2 key)".into(),
            ));
        }
        None => {}
    }
    print!("{}", pem("CERTIFICATE", &issued.cert_der));
    Ok(())
}

async fn revoke(settings: &Settings, serial: &str, reason: &str) -> Result<(), AppError> {
    let serial = Serial::parse(serial).map_err(|e| AppError::Input(e.to_string()))?;
    let reason: RevocationReason = reason
        .parse()
        .map_err(|e: domain::ParseError| AppError::Input(e.to_string()))?;
    let authority = setup::load_authority(settings).await?;
    let result = revoke_and_publish(&authority, &serial, reason).await;
    authority.db().close().await;
    let number = result?;
    println!("revoked {serial} ({reason}); CRL {number} published");
    Ok(())
}

async fn revoke_and_publish(
    authority: &Arc<Authority>,
    serial: &Serial,
    reason: RevocationReason,
) -> Result<i64, AppError> {
    authority.revoke(serial, reason, &actor()).await?;
    // Publish now rather than waiting for a server to notice: the CLI may be the
    // only process running.
    let crl = authority.publish_crl(false, &actor()).await?;
    Ok(crl.number)
}

async fn crl(settings: &Settings, out: Option<std::path::PathBuf>) -> Result<(), AppError> {
    let authority = setup::load_authority(settings).await?;
    let crl = authority.publish_crl(true, &actor()).await;
    authority.db().close().await;
    let crl = crl?;
    match out {
        Some(path) => {
            std::fs::write(&path, &crl.der)
                .map_err(|e| AppError::file("cannot write", &path, e))?;
            eprintln!("CRL {} written to {}", crl.number, path.display());
        }
        None => print!("{}", pem("X509 CRL", &crl.der)),
    }
    Ok(())
}
