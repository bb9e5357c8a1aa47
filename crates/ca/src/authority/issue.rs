//! Issuance: check the request, record serial and to-be-signed bytes, sign, store
//! the certificate — each step visible in the database, so a crash leaves a row
//! that a retry completes (same request id, same serial, one certificate).

use pki::PkiError;
use std::time::Instant;

use domain::{Serial, SubjectInfo};
use sha2::{Digest, Sha256};
use store::certificates::{self, CertificateRow, NewCertificate};
use x509_cert::name::Name;

use super::Authority;
use super::batch::Outcome;
use super::init::random_serial;
use super::issued::Issued;
use super::issued::audit_issue;
use crate::cert::TbsTemplate;
use crate::csr::{self, CheckedCsr};
use crate::{CaError, asn1time, derw, profile, signer};

/// A request to certify a key for an approved subject.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// Idempotency key: a retry with the same id returns the same certificate.
    pub request_id: String,
    /// PEM or DER PKCS#10.
    pub csr: Vec<u8>,
    /// The approved subject. Never taken from the CSR.
    pub subject: SubjectInfo,
    pub years: u32,
    /// An end date instead of `years` (a changed certificate keeps the old one's).
    pub not_after_ms: Option<i64>,
    /// Who asked, for the audit log.
    pub actor: String,
    /// Under a CA issuing dual certificates, certify again the encryption
    /// key pair of this earlier signing certificate instead of asking the
    /// KMC for a new one (在线延期 with `[kmc] renewal_new_encryption_key =
    /// false`). Ignored when that certificate has no pair, or its
    /// encryption certificate is revoked: then the key pair is new.
    pub keep_encryption_of: Option<Serial>,
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Tries of one issuance when the database breaks a deadlock.
const TRIES: u32 = 4;

impl Authority {
    /// Issues for `req`, or returns what an earlier call with its request id
    /// issued. Safe to run again at any point (record before sign, one row
    /// per request id), so when the database breaks a deadlock the whole
    /// issuance simply runs again.
    pub async fn issue(&self, req: IssueRequest) -> Result<Issued, CaError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.issue_once(&req).await {
                Err(CaError::Store(e)) if e.is_retryable() && tries < TRIES => {
                    tracing::info!(request_id = %req.request_id, tries, "the database broke a deadlock; issuing again");
                    // A random pause, so the parties of the deadlock do not
                    // meet again at once.
                    let mut b = [0u8; 1];
                    aws_lc_rs::rand::SecureRandom::fill(
                        &aws_lc_rs::rand::SystemRandom::new(),
                        &mut b,
                    )
                    .map_err(|_| PkiError::Signing)?;
                    let pause = 10 * u64::from(tries) + u64::from(b[0] % 32);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                other => return other,
            }
        }
    }

    async fn issue_once(&self, req: &IssueRequest) -> Result<Issued, CaError> {
        let started = Instant::now();
        let checked = csr::check(
            &req.csr,
            self.issuer.algorithm,
            self.settings.allow_sm2_keys_under_non_sm2_ca,
        )?;
        let spki_der = crate::verify::spki_der(&checked.spki)?;
        let spki_hash = sha256_hex(&spki_der);

        let mut conn = self.db.conn().await?;
        if let Some(existing) = certificates::by_request_id(&mut conn, &req.request_id).await? {
            let paired = store::pairs::by_signing(&mut conn, &existing.serial)
                .await?
                .is_some();
            drop(conn);
            if paired {
                if existing.spki_sha256 != spki_hash {
                    return Err(CaError::RequestIdReused(existing.request_id));
                }
                return self.complete_pair(&existing.serial, &req.actor).await;
            }
            return self.resume(existing, &spki_hash, &req.actor).await;
        }
        drop(conn);

        if req.not_after_ms.is_none() && (req.years == 0 || req.years > self.settings.max_years) {
            return Err(PkiError::Validity(format!(
                "a certificate lasts 1 to {} years, not {}",
                self.settings.max_years, req.years
            ))
            .into());
        }
        let now = self.clock.now_ms();
        let not_before = now - 5 * 60_000;
        let not_after = match req.not_after_ms {
            Some(end) if end <= now => {
                return Err(PkiError::Validity("the requested end date has passed".into()).into());
            }
            Some(end) => end,
            None => asn1time::add_years(now, req.years),
        };
        if not_after > self.issuer.not_after_ms {
            return Err(PkiError::Validity(
                "the requested lifetime would outlast the issuing CA's certificate".into(),
            )
            .into());
        }

        let new_row = |serial: &Serial| -> Result<NewCertificate, CaError> {
            Ok(NewCertificate {
                serial: serial.to_hex(),
                request_id: req.request_id.clone(),
                issuer_id: self.issuer.id.clone(),
                profile: req.subject.kind().name().to_string(),
                common_name: req.subject.common_name().to_string(),
                organization: req.subject.organization().map(|o| o.to_string()),
                credit_code: req.subject.credit_code().map(|c| c.to_string()),
                id_number_masked: req.subject.id_number().map(|i| i.masked()),
                key_algorithm: checked.kind.name(),
                spki_sha256: spki_hash.clone(),
                not_before,
                not_after,
                tbs_der: self.holder_tbs(serial, &req.subject, &checked, not_before, not_after)?,
                created_at: now,
            })
        };

        // Under an SM2 CA with a KMC, with its encryption pair (pair.rs).
        if self.issues_pairs(checked.kind) {
            let row = new_row(&random_serial()?)?;
            let renews = self
                .kept_encryption(req.keep_encryption_of.as_ref())
                .await?;
            if self.record_pair(&row, renews.as_deref()).await?.is_none() {
                // The same request, a moment ago: resume it.
                return Box::pin(self.issue_once(req)).await;
            }
            let issued = self.complete_pair(&row.serial, &req.actor).await?;
            return Ok(self.issued(issued, &row.profile, &row.common_name, &req.actor, started));
        }

        // Usually together with whatever else is being issued (batch.rs).
        let row = new_row(&random_serial()?)?;
        let (profile, subject) = (row.profile.clone(), row.common_name.clone());
        if let Outcome::Issued(issued) = self.batcher.issue(row, &req.actor).await? {
            return Ok(self.issued(issued, &profile, &subject, &req.actor, started));
        }

        // Alone. Record first. A serial collision (2^-126) just draws again.
        let mut attempts = 0;
        let row = loop {
            attempts += 1;
            let new = new_row(&random_serial()?)?;
            let mut conn = self.db.conn().await?;
            match certificates::insert_pending(&mut conn, &new).await {
                Ok(()) => break new,
                Err(store::StoreError::Duplicate(_)) => {
                    // Either a concurrent retry of the same request won the race,
                    // or the serial collided.
                    if let Some(existing) =
                        certificates::by_request_id(&mut conn, &req.request_id).await?
                    {
                        drop(conn);
                        return self.resume(existing, &spki_hash, &req.actor).await;
                    }
                    if attempts >= 3 {
                        return Err(PkiError::Signing.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        };
        let issued = self
            .sign_and_store(&row.serial, row.tbs_der, &req.actor, &row.profile)
            .await?;
        Ok(self.issued(issued, &row.profile, &row.common_name, &req.actor, started))
    }

    fn issued(
        &self,
        issued: Issued,
        profile: &str,
        subject: &str,
        actor: &str,
        started: Instant,
    ) -> Issued {
        metrics::counter!("certhall_certificates_issued_total", "profile" => profile.to_string())
            .increment(1);
        metrics::histogram!("certhall_issuance_seconds").record(started.elapsed().as_secs_f64());
        tracing::info!(
            cert.serial = %issued.serial,
            cert.profile = %profile,
            cert.subject = %subject,
            actor = %actor,
            "issued certificate"
        );
        issued
    }

    /// The request id was seen before: hand back its certificate, finishing the
    /// signature if the earlier attempt stopped after recording.
    async fn resume(
        &self,
        existing: CertificateRow,
        spki_hash: &str,
        actor: &str,
    ) -> Result<Issued, CaError> {
        if existing.spki_sha256 != spki_hash {
            return Err(CaError::RequestIdReused(existing.request_id));
        }
        match existing.cert_der {
            Some(der) => Ok(Issued {
                serial: parse_serial(&existing.serial)?,
                cert_der: der,
                replayed: true,
                encryption: None,
            }),
            None => {
                let mut issued = self
                    .sign_and_store(&existing.serial, existing.tbs_der, actor, &existing.profile)
                    .await?;
                issued.replayed = true;
                Ok(issued)
            }
        }
    }

    fn holder_tbs(
        &self,
        serial: &Serial,
        subject: &SubjectInfo,
        checked: &CheckedCsr,
        not_before: i64,
        not_after: i64,
    ) -> Result<Vec<u8>, CaError> {
        use der::Decode;
        let key_id = signer::key_identifier(&checked.spki);
        TbsTemplate {
            serial: serial.clone(),
            signature_algorithm: self.issuer.algorithm.signature_algorithm(),
            issuer: Name::from_der(&self.issuer.name_der)?,
            not_before_ms: not_before,
            not_after_ms: not_after,
            subject: profile::holder_name(subject)?,
            spki: checked.spki.clone(),
            extensions: profile::holder_extensions(
                subject,
                profile::KeyRole::Signing,
                &key_id,
                &self.issuer.key_id,
                &self.settings.urls(),
                &self.settings.naming,
            )?,
        }
        .encode()
        .map_err(CaError::from)
    }

    pub(super) async fn sign_and_store(
        &self,
        serial_hex: &str,
        tbs_der: Vec<u8>,
        actor: &str,
        profile: &str,
    ) -> Result<Issued, CaError> {
        let signer = self.issuer.signer.clone();
        let alg_der = self.issuer.algorithm.signature_algorithm_der();
        let cert_der = tokio::task::spawn_blocking(move || {
            let signature = signer.sign(&tbs_der)?;
            Ok::<_, CaError>(derw::signed(&tbs_der, &alg_der, &signature))
        })
        .await
        .map_err(|_| PkiError::Signing)??;

        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        match certificates::mark_issued(&mut tx, serial_hex, &cert_der, now).await? {
            Some(row) => {
                audit_issue(
                    &mut tx,
                    self.db.audit_key()?,
                    now,
                    actor,
                    serial_hex,
                    profile,
                    &row.common_name,
                    &row.request_id,
                    row.not_after,
                )
                .await?;
                tx.commit().await.map_err(store::StoreError::from)?;
                Ok(Issued {
                    serial: parse_serial(serial_hex)?,
                    cert_der,
                    replayed: false,
                    encryption: None,
                })
            }
            None => {
                // Someone else completed it between our read and our write.
                drop(tx);
                let mut conn = self.db.conn().await?;
                let row = certificates::by_serial(&mut conn, serial_hex)
                    .await?
                    .ok_or_else(|| CaError::UnknownCertificate(serial_hex.to_string()))?;
                Ok(Issued {
                    serial: parse_serial(serial_hex)?,
                    cert_der: row.cert_der.ok_or(PkiError::Signing)?,
                    replayed: true,
                    encryption: None,
                })
            }
        }
    }
}

fn parse_serial(hex: &str) -> Result<Serial, CaError> {
    Serial::parse(hex).map_err(|e| PkiError::Subject(e).into())
}
