//! Dual certificates (GM/T 0034 §6, GM/T 0014): under an SM2 CA with a KMC,
//! an SM2 signing key is certified together with an encryption key pair the
//! KMC makes and escrows. The order keeps "no signing certificate without
//! its pair":
//!
//! 1. the signing certificate's TBS is recorded as pending, together with
//!    the pair's row (the encryption serial and the KMC task number, drawn
//!    now so every retry asks the same task);
//! 2. the KMC is asked (ApplyKeyReq, the signing key as the recipient; or,
//!    for 在线延期 keeping the key, RestoreKeyReq of the earlier encryption
//!    key to the new signing key); its delivery is checked (its signature,
//!    the task, the number, the recipient, a kept key being the earlier
//!    one) and kept;
//! 3. the encryption certificate's TBS is recorded as pending (the signing
//!    one's subject, validity and extensions, with the encryption key usage);
//! 4. both are signed, and one transaction marks both issued and audits both.
//!
//! A stop anywhere (the KMC down, a crash, a kill) leaves the signing
//! certificate pending; the same request later resumes where it stopped. The
//! KMC answers a task asked again with its first answer, so a key made
//! before a crash is the one delivered.

use std::sync::Arc;

use der::{Decode, Encode};
use domain::Serial;
use pki::PkiError;
use pki::envelope::signed::{self, IssuerAndSerialNumber};
use pki::gmt0014::{self, AppUserInfo, ApplyKeyReq, Request, Respond, RestoreKeyReq};
use spki::SubjectPublicKeyInfoOwned;
use store::certificates::{self, CertificateRow, NewCertificate};
use store::pairs::{self, PairRow};
use x509_cert::TbsCertificate;

use super::Authority;
use super::init::random_serial;
use super::issued::{EncryptionIssued, Issued, audit_issue};
use super::kmc::KmcLink;
use crate::cert::TbsTemplate;
use crate::{CaError, derw, oids, profile, signer};

/// The request id of the encryption certificate of a signing one's request.
pub fn encryption_request_id(signing_request_id: &str) -> String {
    format!("{signing_request_id}:encryption")
}

impl Authority {
    /// The KMC this CA asks for encryption key pairs, if any.
    pub fn kmc(&self) -> Option<Arc<KmcLink>> {
        self.kmc
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Connects the KMC (after the CA certified it, for a KMC in-process).
    pub fn set_kmc(&self, link: KmcLink) {
        *self
            .kmc
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(link));
    }

    /// Whether a key of `kind` is certified with an encryption pair.
    pub(super) fn issues_pairs(&self, kind: crate::verify::PublicKeyKind) -> bool {
        self.issuer.algorithm.is_sm2()
            && kind == crate::verify::PublicKeyKind::Sm2
            && self.kmc().is_some()
    }

    /// The encryption certificate whose key pair a new signing certificate
    /// keeps (`IssueRequest::keep_encryption_of`): the earlier signing
    /// certificate's partner, if it has one that was delivered and is not
    /// revoked. A revoked one's key is never certified again.
    pub(super) async fn kept_encryption(
        &self,
        earlier_signing: Option<&Serial>,
    ) -> Result<Option<String>, CaError> {
        let Some(earlier) = earlier_signing else {
            return Ok(None);
        };
        let mut conn = self.db.conn().await?;
        let Some(pair) = pairs::by_signing(&mut conn, &earlier.to_hex()).await? else {
            return Ok(None);
        };
        let usable = certificates::by_serial(&mut conn, &pair.encryption_serial)
            .await?
            .is_some_and(|c| c.cert_der.is_some() && c.revoked_at.is_none());
        if !usable || pair.public_key.is_none() {
            tracing::info!(cert.serial = %earlier, "the earlier encryption key cannot be kept: a new pair is made");
            return Ok(None);
        }
        Ok(Some(pair.encryption_serial))
    }

    /// Step 1: the pending signing certificate and its pair's row, together.
    /// `Ok(None)` when the request id was taken meanwhile (the caller resumes).
    pub(super) async fn record_pair(
        &self,
        signing: &NewCertificate,
        renews: Option<&str>,
    ) -> Result<Option<()>, CaError> {
        for _ in 0..3 {
            let encryption = random_serial()?;
            let task_no = task_number()?;
            let mut tx = self.db.begin().await?;
            match certificates::insert_pending(&mut tx, signing).await {
                Ok(()) => {}
                Err(store::StoreError::Duplicate(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            match pairs::insert(
                &mut tx,
                &signing.serial,
                &encryption.to_hex(),
                &task_no.to_string(),
                renews,
                signing.created_at,
            )
            .await
            {
                Ok(()) => {
                    tx.commit().await.map_err(store::StoreError::from)?;
                    return Ok(Some(()));
                }
                // A serial or task number drawn twice (2^-63): draw again.
                Err(store::StoreError::Duplicate(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PkiError::Signing.into())
    }

    /// Steps 2–4 for the pending (or issued) signing certificate `serial`.
    pub(super) async fn complete_pair(
        &self,
        signing_serial: &str,
        actor: &str,
    ) -> Result<Issued, CaError> {
        let mut conn = self.db.conn().await?;
        let signing = certificates::by_serial(&mut conn, signing_serial)
            .await?
            .ok_or_else(|| CaError::UnknownCertificate(signing_serial.to_string()))?;
        let mut pair = pairs::by_signing(&mut conn, signing_serial)
            .await?
            .ok_or_else(|| CaError::UnknownCertificate(signing_serial.to_string()))?;
        drop(conn);
        if signing.cert_der.is_some() {
            return self.issued_pair(signing, pair, true).await;
        }
        if pair.public_key.is_none() {
            self.ask_kmc(&signing, &pair).await?;
            let mut conn = self.db.conn().await?;
            pair = pairs::by_signing(&mut conn, signing_serial)
                .await?
                .ok_or_else(|| CaError::UnknownCertificate(signing_serial.to_string()))?;
        }
        let encryption = self.record_encryption(&signing, &pair).await?;
        self.sign_pair(signing, encryption, pair, actor).await
    }

    /// Step 2.
    async fn ask_kmc(&self, signing: &CertificateRow, pair: &PairRow) -> Result<(), CaError> {
        let kmc = self.kmc().ok_or_else(|| {
            CaError::Kmc("no KMC is configured, so the encryption pair cannot be made".into())
        })?;
        let tbs = TbsCertificate::from_der(&signing.tbs_der)?;
        let encryption_serial = Serial::parse(&pair.encryption_serial)?;
        let recipient = IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        };
        let user_pub_key = tbs.subject_public_key_info().clone();
        let not_before = gmt0014::time(signing.not_before)?;
        let not_after = gmt0014::time(signing.not_after)?;
        let extend_info = Some(der::asn1::OctetString::new(recipient.to_der()?)?);
        // A key made anew, or (在线延期 keeping it) the earlier one enveloped
        // to the new signing key and indexed under the new number: GM/T 0014
        // has no request of its own for that, so the new number travels in
        // userName as a record the KMC reads (docs/kmc/gmt0014.asn1).
        let (request, asked_serial) = match &pair.renews {
            None => (
                Request::ApplyKey(ApplyKeyReq {
                    app_key_type: gmt0014::algorithm(oids::CURVE_SM2),
                    app_key_len: gmt0014::int(256)?,
                    ret_asym_alg: gmt0014::algorithm(oids::SM2_ENCRYPT),
                    ret_sym_alg: gmt0014::algorithm(oids::SM4_ECB),
                    ret_hash_alg: gmt0014::algorithm(oids::SM3),
                    app_user_info: AppUserInfo {
                        user_cert_no: gmt0014::serial_int(&encryption_serial)?,
                        user_pub_key,
                        not_before,
                        not_after,
                        user_name: None,
                        ds_code: None,
                        extend_info,
                    },
                }),
                &pair.encryption_serial,
            ),
            Some(earlier) => {
                let record = serde_json::json!({
                    "kind": "renewal",
                    "cert_no": pair.encryption_serial,
                })
                .to_string();
                (
                    Request::RestoreKey(RestoreKeyReq {
                        ret_asym_alg: gmt0014::algorithm(oids::SM2_ENCRYPT),
                        ret_sym_alg: gmt0014::algorithm(oids::SM4_ECB),
                        ret_hash_alg: gmt0014::algorithm(oids::SM3),
                        app_user_info: AppUserInfo {
                            user_cert_no: gmt0014::serial_int(&Serial::parse(earlier)?)?,
                            user_pub_key,
                            not_before,
                            not_after,
                            user_name: Some(der::asn1::OctetString::new(record.into_bytes())?),
                            ds_code: None,
                            extend_info,
                        },
                    }),
                    earlier,
                )
            }
        };
        let task_no: u64 = pair
            .task_no
            .parse()
            .map_err(|_| CaError::Kmc(format!("a stored task number `{}`", pair.task_no)))?;
        let answers = kmc
            .call(
                &self.issuer.cert_der,
                &*self.issuer.signer,
                task_no,
                self.clock.now_ms(),
                vec![request],
            )
            .await?;
        let ret = match answers.as_slice() {
            [Respond::RetKey(ret)] if pair.renews.is_none() => ret,
            [Respond::RestoreKey(ret)] if pair.renews.is_some() => ret,
            [Respond::Error(e)] => {
                return Err(CaError::Kmc(format!(
                    "the KMC refused the key pair: {}",
                    e.err_cause
                )));
            }
            _ => return Err(CaError::Kmc("the KMC answered something else".into())),
        };
        if gmt0014::serial_hex(&ret.user_cert_no)? != *asked_serial {
            return Err(CaError::Kmc(
                "the KMC's key is for another certificate".into(),
            ));
        }
        let public = pki::verify::sm2_point_of_spki(&ret.ret_pub_key.to_der()?)
            .map_err(|_| CaError::Kmc("the KMC's key pair is not SM2".into()))?;
        if let Some(earlier) = &pair.renews {
            let kept = pairs::by_encryption(&mut *self.db.conn().await?, earlier)
                .await?
                .and_then(|p| p.public_key);
            if kept.as_deref() != Some(public.as_slice()) {
                return Err(CaError::Kmc(
                    "the KMC returned another key than the one to keep".into(),
                ));
            }
        }
        let envelope = ret.ret_pri_key.to_der()?;
        let sealed = signed::read(&envelope, &public)?;
        if sealed.recipient != recipient {
            return Err(CaError::Kmc(
                "the KMC enveloped the key to another certificate than the signing one".into(),
            ));
        }
        let mut conn = self.db.conn().await?;
        pairs::delivered(&mut conn, &signing.serial, &public, &envelope).await?;
        Ok(())
    }

    /// Step 3: the encryption certificate's pending row (made once).
    async fn record_encryption(
        &self,
        signing: &CertificateRow,
        pair: &PairRow,
    ) -> Result<CertificateRow, CaError> {
        let mut conn = self.db.conn().await?;
        if let Some(row) = certificates::by_serial(&mut conn, &pair.encryption_serial).await? {
            return Ok(row);
        }
        let public = pair
            .public_key
            .as_deref()
            .ok_or_else(|| CaError::Kmc("the KMC's key has not been delivered".into()))?;
        let spki_der = crate::signer::sm2_spki(public);
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der)?;
        let tbs = TbsCertificate::from_der(&signing.tbs_der)?;
        let extensions = profile::encryption_extensions(
            tbs.extensions().map(|e| e.as_slice()).unwrap_or_default(),
            &signer::key_identifier(&spki),
        )?;
        let serial = Serial::parse(&pair.encryption_serial)?;
        let tbs_der = TbsTemplate {
            serial: serial.clone(),
            signature_algorithm: self.issuer.algorithm.signature_algorithm(),
            issuer: tbs.issuer().clone(),
            not_before_ms: signing.not_before,
            not_after_ms: signing.not_after,
            subject: tbs.subject().clone(),
            spki,
            extensions,
        }
        .encode()?;
        let new = NewCertificate {
            serial: pair.encryption_serial.clone(),
            request_id: encryption_request_id(&signing.request_id),
            issuer_id: signing.issuer_id.clone(),
            profile: signing.profile.clone(),
            common_name: signing.common_name.clone(),
            organization: signing.organization.clone(),
            credit_code: signing.credit_code.clone(),
            id_number_masked: signing.id_number_masked.clone(),
            key_algorithm: signing.key_algorithm.clone(),
            spki_sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&spki_der)),
            not_before: signing.not_before,
            not_after: signing.not_after,
            tbs_der,
            created_at: self.clock.now_ms(),
        };
        match certificates::insert_pending(&mut conn, &new).await {
            Ok(()) | Err(store::StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
        certificates::by_serial(&mut conn, &pair.encryption_serial)
            .await?
            .ok_or_else(|| CaError::UnknownCertificate(pair.encryption_serial.clone()))
    }

    /// Step 4: both signed, both marked issued in one transaction.
    async fn sign_pair(
        &self,
        signing: CertificateRow,
        encryption: CertificateRow,
        pair: PairRow,
        actor: &str,
    ) -> Result<Issued, CaError> {
        let signer = self.issuer.signer.clone();
        let alg_der = self.issuer.algorithm.signature_algorithm_der();
        let (tbs_s, tbs_e) = (signing.tbs_der.clone(), encryption.tbs_der.clone());
        let (signing_der, encryption_der) = tokio::task::spawn_blocking(move || {
            let one = |tbs: &[u8]| -> Result<Vec<u8>, CaError> {
                Ok(derw::signed(tbs, &alg_der, &signer.sign(tbs)?))
            };
            Ok::<_, CaError>((one(&tbs_s)?, one(&tbs_e)?))
        })
        .await
        .map_err(|_| PkiError::Signing)??;

        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        let marked_s =
            certificates::mark_issued(&mut tx, &signing.serial, &signing_der, now).await?;
        let marked_e =
            certificates::mark_issued(&mut tx, &encryption.serial, &encryption_der, now).await?;
        let (Some(s), Some(e)) = (marked_s, marked_e) else {
            // Another attempt completed the pair first: theirs stands.
            drop(tx);
            let mut conn = self.db.conn().await?;
            let signing = certificates::by_serial(&mut conn, &signing.serial)
                .await?
                .ok_or_else(|| CaError::UnknownCertificate(signing.serial.clone()))?;
            drop(conn);
            return self.issued_pair(signing, pair, true).await;
        };
        let key = self.db.audit_key()?;
        for row in [&s, &e] {
            audit_issue(
                &mut tx,
                key,
                now,
                actor,
                &row.serial,
                &row.profile,
                &row.common_name,
                &row.request_id,
                row.not_after,
            )
            .await?;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(
            cert.serial = %s.serial,
            cert.encryption_serial = %e.serial,
            actor,
            "issued a signing and encryption certificate pair"
        );
        Ok(Issued {
            serial: Serial::parse(&s.serial)?,
            cert_der: signing_der,
            replayed: false,
            encryption: Some(EncryptionIssued {
                serial: Serial::parse(&e.serial)?,
                cert_der: encryption_der,
                public_key: pair.public_key.unwrap_or_default(),
                envelope: pair.envelope.unwrap_or_default(),
            }),
        })
    }

    /// An issued pair, read back.
    async fn issued_pair(
        &self,
        signing: CertificateRow,
        pair: PairRow,
        replayed: bool,
    ) -> Result<Issued, CaError> {
        let mut conn = self.db.conn().await?;
        let encryption = certificates::by_serial(&mut conn, &pair.encryption_serial)
            .await?
            .and_then(|r| r.cert_der)
            .ok_or_else(|| CaError::NotIssued {
                serial: pair.encryption_serial.clone(),
            })?;
        Ok(Issued {
            serial: Serial::parse(&signing.serial)?,
            cert_der: signing.cert_der.ok_or(PkiError::Signing)?,
            replayed,
            encryption: Some(EncryptionIssued {
                serial: Serial::parse(&pair.encryption_serial)?,
                cert_der: encryption,
                public_key: pair.public_key.unwrap_or_default(),
                envelope: pair.envelope.unwrap_or_default(),
            }),
        })
    }
}

/// A task number: 63 random bits (a PostgreSQL BIGINT, and no two CAs'
/// numbers meet in practice; the KMC keeps them per CA anyway).
fn task_number() -> Result<u64, CaError> {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut b)
        .map_err(|_| PkiError::Signing)?;
    Ok(u64::from_be_bytes(b) >> 1)
}

impl Authority {
    /// Tells the KMC, in the background, about encryption keys whose
    /// certificates were revoked (RevokeKeyReq); what fails is tried again
    /// by the watcher (`tell_kmc_revocations`).
    pub(super) fn kmc_revocations_wanted(&self) {
        self.kmc_wanted.notify_one();
    }

    /// Sends the KMC a RevokeKeyReq for each revoked pair it has not
    /// confirmed; returns how many it confirmed. Each pair's revocation is
    /// its own task (numbered after the pair's first task: the pair's task
    /// number with the top bit set), so a retry is answered the same.
    pub async fn tell_kmc_revocations(&self) -> Result<usize, CaError> {
        let Some(kmc) = self.kmc() else {
            return Ok(0);
        };
        let due = {
            let mut conn = self.db.conn().await?;
            pairs::kmc_revocations_due(&mut conn, 50).await?
        };
        let mut confirmed = 0;
        for pair in due {
            let task_no: u64 = pair
                .task_no
                .parse()
                .map_err(|_| CaError::Kmc(format!("a stored task number `{}`", pair.task_no)))?;
            let serial = Serial::parse(&pair.encryption_serial)?;
            let answers = kmc
                .call(
                    &self.issuer.cert_der,
                    &*self.issuer.signer,
                    task_no | (1 << 63),
                    self.clock.now_ms(),
                    vec![Request::RevokeKey(gmt0014::RevokeKeyReq {
                        user_cert_no: gmt0014::serial_int(&serial)?,
                    })],
                )
                .await?;
            match answers.as_slice() {
                [Respond::RevokeKey(_)] => {
                    let mut conn = self.db.conn().await?;
                    pairs::kmc_revoked(&mut conn, &pair.signing_serial, self.clock.now_ms())
                        .await?;
                    confirmed += 1;
                }
                [Respond::Error(e)] => {
                    tracing::warn!(cert.serial = %pair.encryption_serial, cause = %e.err_cause, "the KMC refused to revoke an encryption key");
                }
                _ => return Err(CaError::Kmc("the KMC answered something else".into())),
            }
        }
        Ok(confirmed)
    }
}
