//! The certificate assistant's side of the RA (图 2.5–2.7 and 2.16).
//!
//! Every call is made with a proof of possession: the assistant asks for a
//! challenge (the hand-off's), signs a message naming the purpose with the key
//! inside the token, and sends the certificate with the signature. Nothing here
//! needs a portal session: holding the key is what entitles the caller.
//!
//! - `assistant_status`: the certificate's state and its applications (图 2.6).
//! - `assistant_issue`: for an approved 证书变更, the new certificate for the CSR
//!   made inside the token, with the approved subject and the old end date; the
//!   old certificate is revoked as superseded. Idempotent per application: a
//!   retry (crash, unplugged key, lost network) gets the same certificate, and the
//!   old key's proof stays good for that retry although its certificate is now
//!   revoked.
//! - `assistant_complete`: proved with the new key once it is written: 已完成
//!   (a key that is to be mailed waits for 已发货 instead).

use der::{Decode, DecodePem, Encode};
use domain::{AppAction, AppState, Business, ProfileKind, RevocationReason, Serial};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::applications::{self, ApplicationRow, EventRow};
use store::certificates::CertificateRow;
use x509_cert::Certificate;

use crate::{Msg, Ra, RaError, new_id};

/// What the assistant signs to ask for the status of its certificate.
pub fn status_message(nonce: &str) -> Vec<u8> {
    format!("certhall-status:{nonce}").into_bytes()
}

/// What the assistant signs (with the old key) to have its CSR certified.
pub fn issue_message(nonce: &str, csr_der: &[u8]) -> Vec<u8> {
    format!(
        "certhall-issue:{nonce}:{}",
        hex::encode(Sha256::digest(csr_der))
    )
    .into_bytes()
}

/// What the assistant signs (with the new key) once the certificate is written.
pub fn complete_message(nonce: &str) -> Vec<u8> {
    format!("certhall-complete:{nonce}").into_bytes()
}

/// The businesses whose approval the assistant carries out by making a new key
/// pair in the token and writing the new certificate next to it.
pub const REKEYED: [Business; 2] = [Business::Change, Business::Renew];

/// A CSR as sent (PEM or DER) as DER.
pub(crate) fn csr_der(csr: &[u8]) -> Result<Vec<u8>, RaError> {
    let trimmed = csr.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        der::pem::decode_vec(trimmed)
            .map(|(_, der)| der)
            .map_err(|_| RaError::Invalid(Msg::new("证书请求格式不正确")))
    } else {
        Ok(csr.to_vec())
    }
}

/// The CA's refusal of an application's certificate, for the assistant.
pub(crate) fn issue_error(e: ca::CaError) -> RaError {
    match e {
        ca::CaError::RequestIdReused(_) => RaError::Conflict(Msg::new(
            "该申请的新证书已用另一把密钥签发，请使用原证书介质重试",
        )),
        ca::CaError::Pki(
            ca::PkiError::MalformedCsr(_) | ca::PkiError::CsrSignature | ca::PkiError::KeyPolicy(_),
        ) => RaError::Invalid(Msg::new("证书请求被拒绝：{why}").arg("why", e)),
        e => e.into(),
    }
}

fn refused(why: &'static str) -> RaError {
    RaError::Handoff(Msg::new(why))
}

/// A certificate as the assistant shows it, with what is going on for it.
#[derive(Debug, Clone)]
pub struct CertStatus {
    pub row: CertificateRow,
    /// `valid`, `revoked` or `expired`.
    pub status: &'static str,
    pub applications: Vec<AppSummary>,
    /// Whether 在线延期 is offered for it now (`RaSettings::renewal`); if not,
    /// why, for the holder.
    pub renewal: Result<(), Msg>,
}

#[derive(Debug, Clone)]
pub struct AppSummary {
    pub id: String,
    pub business: Business,
    pub state: AppState,
    pub updated_at: i64,
    /// The certificate the application started from (hex).
    pub from_serial: Option<String>,
    /// The proving certificate is the one this application produced.
    pub issued_here: bool,
}

/// The certificate the CA made for an approved application.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub application_id: String,
    pub serial: Serial,
    pub der: Vec<u8>,
}

/// Which certificates a proof may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Ours, in its validity period, not revoked.
    Valid,
    /// Ours, in its validity period or past it, not revoked unless as
    /// superseded (the old certificate of a change whose new certificate was
    /// issued but perhaps not yet written): the key still proves who holds it,
    /// and 在线延期 serves certificates up to a year past their end (its window
    /// is checked where the business starts).
    Unrevoked,
}

/// A certificate as presented in a proof (PEM or DER): parsed, its serial,
/// and its DER as we would have issued it. What a stranger's proof reaches
/// first; fuzzed (`fuzz/fuzz_targets/handoff_proof.rs`).
pub fn read_certificate(certificate: &[u8]) -> Result<(Certificate, Serial, Vec<u8>), RaError> {
    let trimmed = certificate.trim_ascii_start();
    let cert = if trimmed.starts_with(b"-----BEGIN") {
        Certificate::from_pem(trimmed)
    } else {
        Certificate::from_der(certificate)
    }
    .map_err(|_| refused("证书格式不正确"))?;
    let serial = Serial::from_der_integer(cert.tbs_certificate().serial_number().as_bytes())
        .map_err(|_| refused("证书序列号不正确"))?;
    let der = cert.to_der().map_err(|_| refused("证书格式不正确"))?;
    Ok((cert, serial, der))
}

impl Ra {
    /// Checks a proof: the certificate is ours (byte for byte), acceptable, and
    /// `signature` over `message` verifies with its key; then uses up the
    /// challenge. Nothing is stored unless every check passes. The hand-off
    /// and every call of the assistant go through here.
    pub(crate) async fn prove(
        &self,
        certificate: &[u8],
        nonce: &str,
        message: &[u8],
        signature: &[u8],
        accept: Accept,
    ) -> Result<CertificateRow, RaError> {
        let now = self.now_ms();
        let (cert, serial, der) = read_certificate(certificate)?;
        let mut conn = self.db.conn().await?;
        let row = store::certificates::by_serial(&mut conn, &serial.to_hex())
            .await?
            .filter(|r| r.cert_der.as_deref() == Some(der.as_slice()))
            .ok_or_else(|| refused("该证书不是本 CA 签发的证书"))?;
        if row.revoked_at.is_some() {
            let superseded =
                row.revocation_reason == Some(i64::from(RevocationReason::Superseded.code()));
            if !(accept == Accept::Unrevoked && superseded) {
                return Err(refused("该证书已被吊销，不能办理此业务"));
            }
        }
        let expired = row.not_after <= now;
        if row.not_before > now || (expired && accept != Accept::Unrevoked) {
            return Err(refused("该证书不在有效期内"));
        }
        let Some(expires_at) =
            crate::handoff::challenge_expiry(self.secrets.challenge_key(), nonce, now)
        else {
            return Err(refused("挑战码无效、已过期或已使用，请重新发起"));
        };
        let spki = cert.tbs_certificate().subject_public_key_info();
        let kind = ca::verify::classify(spki)?;
        ca::verify::verify(
            spki,
            &crate::handoff::proof_algorithm(kind),
            message,
            signature,
        )
        .map_err(|_| refused("签名验证失败：不是由该证书的私钥签名"))?;
        if !store::handoff::use_challenge(&mut conn, nonce, now, expires_at).await? {
            return Err(refused("挑战码无效、已过期或已使用，请重新发起"));
        }
        Ok(row)
    }

    /// The certificate's state and its applications, newest first.
    pub async fn assistant_status(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<CertStatus, RaError> {
        let row = self
            .prove(
                certificate,
                nonce,
                &status_message(nonce),
                signature,
                Accept::Unrevoked,
            )
            .await?;
        let now = self.now_ms();
        let mut conn = self.db.conn().await?;
        let mut apps: Vec<(ApplicationRow, bool)> =
            applications::for_certificate(&mut conn, &row.serial)
                .await?
                .into_iter()
                .map(|a| (a, false))
                .collect();
        // A certificate made for an application: that application too, so an
        // assistant that wrote it but was stopped before reporting can finish.
        if let Some(id) = row.request_id.strip_prefix("application:")
            && let Some(a) = applications::by_id(&mut conn, id).await?
        {
            apps.insert(0, (a, true));
        }
        drop(conn);
        let status = crate::certificates::status_of(&row, now);
        let renewal = self.renewal_of(&row, now);
        Ok(CertStatus {
            status,
            renewal,
            applications: apps
                .into_iter()
                .map(|(a, issued_here)| AppSummary {
                    business: a.business,
                    state: a.state,
                    updated_at: a.updated_at,
                    from_serial: a.cert_serial.clone(),
                    issued_here,
                    id: a.id,
                })
                .collect(),
            row,
        })
    }

    /// The approved application of a certificate that writes a new one into
    /// its token (证书变更, 在线延期), if any.
    async fn approved_rekey(&self, serial_hex: &str) -> Result<ApplicationRow, RaError> {
        applications::for_certificate(&mut *self.db.conn().await?, serial_hex)
            .await?
            .into_iter()
            .find(|a| REKEYED.contains(&a.business) && a.state == AppState::Approved)
            .ok_or_else(|| {
                RaError::Conflict(Msg::new(
                    "该证书没有已审核通过的证书变更或在线延期申请，请先在网上办理并等待审核通过",
                ))
            })
    }

    /// Certifies the key of `csr` (PEM or DER; the proof covers its DER) for the
    /// approved change or renewal of the proving certificate, then revokes the
    /// old certificate as superseded (unless it has already run out).
    ///
    /// A change keeps the old end date (the holder paid for that time) and takes
    /// the approved subject; a renewal keeps the subject and runs the paid years
    /// from the old end date, or from now if the old certificate has expired.
    pub async fn assistant_issue(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        csr: &[u8],
    ) -> Result<NewCertificate, RaError> {
        let csr_der = csr_der(csr)?;
        let csr_der = csr_der.as_slice();
        let old = self
            .prove(
                certificate,
                nonce,
                &issue_message(nonce, csr_der),
                signature,
                Accept::Unrevoked,
            )
            .await?;
        let app = self.approved_rekey(&old.serial).await?;
        let business: Business = app.business;
        let now = self.now_ms();
        let expired = old.not_after <= now;
        if expired && business != Business::Renew {
            return Err(refused("该证书不在有效期内"));
        }
        let cert_type: ProfileKind = app.cert_type;
        let form: crate::business::ApplicationForm =
            serde_json::from_str(&app.form).map_err(|_| RaError::NotFound)?;
        let subject = form
            .fields
            .subject(cert_type)
            .map_err(|_| RaError::Conflict(Msg::new("申请中的证书信息不完整，请联系客服")))?;
        let not_after = match business {
            Business::Renew => {
                // A retry after the first issuance gets that certificate back
                // (the CA replays by request id), whatever the clock says now.
                domain::renewal::renewed_not_after(old.not_after, now, form.years.max(1))
            }
            // A change keeps the validity the holder paid for.
            _ => old.not_after,
        };
        let actor = format!("holder:{}", app.holder_id);
        let issued = self
            .authority
            .issue(ca::authority::IssueRequest {
                request_id: format!("application:{}", app.id),
                csr: csr_der.to_vec(),
                subject,
                years: 1,
                not_after_ms: Some(not_after),
                actor: actor.clone(),
            })
            .await
            .map_err(issue_error)?;
        let old_serial = Serial::parse(&old.serial).map_err(|_| RaError::NotFound)?;
        if old.revoked_at.is_none() && !expired {
            match self
                .authority
                .revoke(&old_serial, RevocationReason::Superseded, &actor)
                .await
            {
                Ok(_) | Err(ca::CaError::AlreadyRevoked { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !issued.replayed {
            let old_fate = if expired {
                "原证书已过期"
            } else {
                "原证书已吊销（已被取代）"
            };
            applications::add_event(
                &mut *self.db.conn().await?,
                &EventRow {
                    id: new_id(),
                    application_id: app.id.clone(),
                    at: self.now_ms(),
                    actor: actor.clone(),
                    from_state: Some(AppState::Approved),
                    to_state: AppState::Approved,
                    note: format!(
                        "新证书已签发（序列号 {}，有效期至 {}），{old_fate}，等待写入证书介质",
                        issued.serial,
                        domain::calendar::beijing_minutes(not_after),
                    ),
                },
            )
            .await?;
            tracing::info!(application.id = %app.id, business = business.key(), old = %old_serial, new = %issued.serial, "new key certified");
        }
        Ok(NewCertificate {
            application_id: app.id,
            serial: issued.serial,
            der: issued.cert_der,
        })
    }

    /// The new certificate is in the token (proved with its key): 已完成.
    pub async fn assistant_complete(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<(String, AppState), RaError> {
        let new = self
            .prove(
                certificate,
                nonce,
                &complete_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        let app_id = new
            .request_id
            .strip_prefix("application:")
            .ok_or_else(|| RaError::Conflict(Msg::new("该证书不是在线业务签发的证书")))?
            .to_string();
        let row = applications::by_id(&mut *self.db.conn().await?, &app_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let state: AppState = row.state;
        if state == AppState::Completed {
            return Ok((app_id, state));
        }
        // A new or reissued certificate in a key that is to be mailed waits for
        // 已发货.
        if crate::issuance::picked_up(row.business) && !self.written(&row).await? {
            return Ok((app_id, state));
        }
        self.move_state(
            &row,
            state,
            AppAction::Complete,
            &format!("holder:{}", row.holder_id),
            "新证书已写入证书介质，业务办理完成",
            None,
        )
        .await?;
        let mut tx = self.db.begin().await?;
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            self.now_ms(),
            &store::audit::Event {
                actor: &format!("holder:{}", row.holder_id),
                action: "application.completed",
                object: &app_id,
                details: json!({ "serial": new.serial }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if let Some(h) = store::holders::by_id(&mut *self.db.conn().await?, &row.holder_id).await? {
            self.notify_holder(&h.mobile, "您的证书业务已办理完成，新证书已写入证书介质。")
                .await;
        }
        Ok((app_id, AppState::Completed))
    }
}
