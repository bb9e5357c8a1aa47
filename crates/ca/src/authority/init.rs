//! Creating the hierarchy (root → issuing CA → delegated OCSP signer) and keeping
//! the OCSP signer's certificate fresh.

use pki::PkiError;
use std::sync::{Arc, PoisonError};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::{Clock, Serial};
use serde_json::json;
use store::ca_keys::CaKeyRow;
use store::{Db, Lock, audit};
use x509_cert::name::Name;

use super::keys::KeyStore;
use super::{Authority, CaSettings, OcspSigner};
use crate::cert::TbsTemplate;
use crate::profile::{self, CaNaming};
use crate::signer::{self, Signer};
use crate::{CaError, KeyAlgorithm, asn1time, derw};

pub const ROLE_ROOT: &str = "root";
pub const ROLE_ISSUING: &str = "issuing";
pub const ROLE_OCSP: &str = "ocsp";

const ROOT_YEARS: u32 = 20;
const ISSUING_YEARS: u32 = 10;
const DAY_MS: i64 = 86_400_000;

/// What `init` created, for the operator.
#[derive(Debug, Clone)]
pub struct InitReport {
    pub algorithm: KeyAlgorithm,
    pub root_subject: String,
    pub root_serial: String,
    pub issuing_subject: String,
    pub issuing_serial: String,
}

/// A positive serial of 16 random bytes (top bit clear, first byte non-zero, so it
/// is always exactly 16 octets in DER and 32 hex digits).
pub fn random_serial() -> Result<Serial, CaError> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| PkiError::Signing)?;
    b[0] &= 0x7f;
    if b[0] == 0 {
        b[0] = 1;
    }
    // 16 bytes, the first non-zero: always a valid serial.
    Ok(Serial::from_magnitude(&b)?)
}

/// Signs a TBSCertificate template with `signer`; returns the certificate DER.
pub(crate) fn sign_certificate(
    signer: &dyn Signer,
    template: TbsTemplate,
) -> Result<Vec<u8>, CaError> {
    let tbs = template.encode()?;
    let signature = signer.sign(&tbs)?;
    Ok(derw::signed(
        &tbs,
        &signer.algorithm().signature_algorithm_der(),
        &signature,
    ))
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

struct Made {
    row: CaKeyRow,
    signer: Arc<dyn Signer>,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one CA certificate's parts, each named at the call; a struct would only rename them"
)]
fn make_ca_cert(
    keys: &KeyStore,
    algorithm: KeyAlgorithm,
    role: &str,
    subject: Name,
    issuer: Option<(&Made, &Name)>,
    years_or_days: (u32, i64),
    extensions: impl FnOnce(&[u8], &[u8]) -> Result<Vec<x509_cert::ext::Extension>, PkiError>,
    now_ms: i64,
) -> Result<Made, CaError> {
    let id = new_id();
    let label = format!("certhall-{role}-{}", &id[..8]);
    let (signer, record) = keys.generate(algorithm, &id, &label)?;
    let spki = signer::spki_of(signer.as_ref())?;
    let key_id = signer::key_identifier(&spki);
    let serial = random_serial()?;
    let not_before = now_ms - 5 * 60_000;
    let not_after = match years_or_days {
        (0, days) => now_ms + days * DAY_MS,
        (years, _) => asn1time::add_years(now_ms, years),
    };
    let (issuer_signer, issuer_name, issuer_key_id, issuer_id) = match issuer {
        Some((made, name)) => {
            let ispki = signer::spki_of(made.signer.as_ref())?;
            (
                made.signer.clone(),
                name.clone(),
                signer::key_identifier(&ispki),
                Some(made.row.id.clone()),
            )
        }
        None => (signer.clone(), subject.clone(), key_id, None),
    };
    let template = TbsTemplate {
        serial: serial.clone(),
        signature_algorithm: issuer_signer.algorithm().signature_algorithm(),
        issuer: issuer_name,
        not_before_ms: not_before,
        not_after_ms: not_after,
        subject: subject.clone(),
        spki,
        extensions: extensions(&key_id, &issuer_key_id)?,
    };
    let cert_der = sign_certificate(issuer_signer.as_ref(), template)?;
    Ok(Made {
        row: CaKeyRow {
            id,
            role: role.to_string(),
            algorithm: algorithm.name().to_string(),
            subject: subject.to_string(),
            serial: serial.to_hex(),
            cert_der,
            key_kind: record.kind.to_string(),
            key_blob: record.blob,
            key_ref: record.key_ref,
            issuer_id,
            not_before,
            not_after,
            created_at: now_ms,
        },
        signer,
    })
}

fn make_ocsp_signer(
    keys: &KeyStore,
    issuing: &Made,
    naming: &CaNaming,
    days: u32,
    now_ms: i64,
) -> Result<Made, CaError> {
    let algorithm: KeyAlgorithm = issuing.row.algorithm.parse()?;
    let issuer_name = issuing_subject(&issuing.row)?;
    make_ca_cert(
        keys,
        algorithm,
        ROLE_OCSP,
        profile::ocsp_name(naming)?,
        Some((issuing, &issuer_name)),
        (0, i64::from(days)),
        profile::ocsp_signer_extensions,
        now_ms,
    )
}

fn issuing_subject(row: &CaKeyRow) -> Result<Name, CaError> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(&row.cert_der)?;
    Ok(cert.tbs_certificate().subject().clone())
}

impl Authority {
    /// Creates the CA hierarchy. Refuses if one exists: a CA has one root.
    pub async fn init(
        db: &Db,
        keys: &KeyStore,
        settings: &CaSettings,
        clock: &dyn Clock,
        algorithm: KeyAlgorithm,
        actor: &str,
    ) -> Result<InitReport, CaError> {
        // Serialise concurrent first starts: only one creates the hierarchy.
        let mut tx = db.begin_locked(Lock::CaInit).await?;
        if let Some(existing) = store::ca_keys::latest(&mut tx, ROLE_ISSUING).await? {
            return Err(CaError::AlreadyInitialised(existing.subject));
        }
        let now = clock.now_ms();
        let (keys2, settings2) = (keys.clone(), settings.clone());
        let (root, issuing, ocsp) = tokio::task::spawn_blocking(move || {
            let naming = &settings2.naming;
            let root_name = profile::root_name(naming)?;
            let root = make_ca_cert(
                &keys2,
                algorithm,
                ROLE_ROOT,
                root_name.clone(),
                None,
                (ROOT_YEARS, 0),
                |kid, _| profile::root_extensions(kid),
                now,
            )?;
            let issuing = make_ca_cert(
                &keys2,
                algorithm,
                ROLE_ISSUING,
                profile::issuing_name(naming)?,
                Some((&root, &root_name)),
                (ISSUING_YEARS, 0),
                |kid, ikid| profile::issuing_extensions(kid, ikid, &settings2.public_url),
                now,
            )?;
            let ocsp = make_ocsp_signer(&keys2, &issuing, naming, settings2.ocsp_signer_days, now)?;
            Ok::<_, CaError>((root, issuing, ocsp))
        })
        .await
        .map_err(|_| PkiError::Signing)??;

        for made in [&root, &issuing, &ocsp] {
            store::ca_keys::insert(&mut tx, &made.row).await?;
        }
        let report = InitReport {
            algorithm,
            root_subject: root.row.subject.clone(),
            root_serial: root.row.serial.clone(),
            issuing_subject: issuing.row.subject.clone(),
            issuing_serial: issuing.row.serial.clone(),
        };
        audit::append(
            &mut tx, db.audit_key()?,
            now,
            &audit::Event {
                actor,
                action: "ca.init",
                object: &issuing.row.id,
                details: json!({
                    "algorithm": algorithm.name(),
                    "root": { "subject": report.root_subject, "serial": report.root_serial },
                    "issuing": { "subject": report.issuing_subject, "serial": report.issuing_serial },
                    "ocsp_signer_serial": ocsp.row.serial,
                    "key_kind": issuing.row.key_kind,
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(
            ca.algorithm = algorithm.name(),
            ca.root = %report.root_subject,
            ca.issuing = %report.issuing_subject,
            "created the CA hierarchy"
        );
        Ok(report)
    }

    /// Renews the delegated OCSP signer when a third or less of its life is left.
    pub async fn ensure_ocsp_signer(&self) -> Result<(), CaError> {
        let now = self.clock.now_ms();
        let current = self.ocsp_signer();
        let life = i64::from(self.settings.ocsp_signer_days) * DAY_MS;
        if current.not_after_ms - now > life / 3 {
            return Ok(());
        }
        let issuing_row = {
            let mut conn = self.db.conn().await?;
            store::ca_keys::by_id(&mut conn, &self.issuer.id).await?
        };
        let issuing = Made {
            row: issuing_row,
            signer: self.issuer.signer.clone(),
        };
        let (keys, naming, days) = (
            self.keys.clone(),
            self.settings.naming.clone(),
            self.settings.ocsp_signer_days,
        );
        let made = tokio::task::spawn_blocking(move || {
            make_ocsp_signer(&keys, &issuing, &naming, days, now)
        })
        .await
        .map_err(|_| PkiError::Signing)??;
        let mut tx = self.db.begin().await?;
        store::ca_keys::insert(&mut tx, &made.row).await?;
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: "system",
                action: "ca.ocsp_signer.renew",
                object: &made.row.id,
                details: json!({ "serial": made.row.serial, "not_after": made.row.not_after }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let fresh = Arc::new(OcspSigner::from_row(&made.row, made.signer)?);
        *self
            .ocsp_signer
            .write()
            .unwrap_or_else(PoisonError::into_inner) = fresh;
        self.ocsp_cache.clear();
        tracing::info!(ocsp.signer_serial = %made.row.serial, "renewed the OCSP signing certificate");
        Ok(())
    }
}
