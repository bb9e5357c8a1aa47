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

use domain::{AppAction, AppState, Business, ProfileKind, RevocationReason, Serial};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::applications::{self, ApplicationRow, EventRow};
use store::certificates::CertificateRow;

use crate::issuance::NewCertificate;
use crate::issuance::{csr_der, issue_error};
use crate::proof::Accept;
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

/// A CSR as sent (PEM or DER) as DER.
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

impl Ra {
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
            .find(|a| a.business.rekeys() && a.state == AppState::Approved)
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
                // 在线延期 may keep the encryption key pair (a setting):
                // what was encrypted to the old certificate opens with the new.
                keep_encryption_of: (business == Business::Renew
                    && !self.settings.renewal_new_encryption_key)
                    .then(|| Serial::parse(&old.serial))
                    .transpose()
                    .map_err(|_| RaError::NotFound)?,
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
            encryption: issued.encryption,
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
        if row.business.picked_up() && !self.written(&row).await? {
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
