//! After approval, 在线新办 and 在线补办 put a new key and certificate onto a key
//! that holds no certificate of ours yet, so no key can prove who asks. Instead:
//!
//! - 自有证书介质: the holder asks 个人中心 for a one-time 写入码 and types it
//!   into the assistant (`certhall-assistant pickup`), which makes the key pair
//!   in their blank key and sends the code with the CSR;
//! - 邮寄: the operator does the same from the review desk with a key of the
//!   CA's, then records carrier and tracking number (已发货); the holder
//!   confirms receipt in 个人中心 (已完成).
//!
//! A code is 100 random bits, shown once, stored as its SHA-256, replaced when
//! a new one is asked for, and good for `CODE_DAYS`. It certifies one key only:
//! a retry with the same key gets the same certificate (the CA replays by
//! application), another key is refused.
//!
//! 在线补办 also revokes the old certificate, at approval, with the reason the
//! holder gave (the key is lost or broken: it must stop working at once).

use domain::{AppAction, AppState, Business, Perm, RevocationReason, Serial};
use serde_json::json;
use store::applications::{self, ApplicationRow, EventRow};
use store::pickups::{self, PickupRow};

use crate::business::{ApplicationForm, Medium};
use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError, new_id};

/// How long a 写入码 is good for.
pub const CODE_DAYS: i64 = 30;

/// Crockford's base32: no I, L, O, U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh code: 20 characters (100 bits) in groups of four.
fn new_code() -> String {
    let raw = crate::random::bytes::<20>();
    let chars: Vec<char> = raw
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed (spaces, dashes, lower case, O for 0…) in its one form.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn code_hash(typed: &str) -> String {
    crate::random::hash(&format!("certhall-pickup:{}", normalise_code(typed)))
}

fn form_of(row: &ApplicationRow) -> Result<ApplicationForm, RaError> {
    serde_json::from_str(&row.form).map_err(|_| RaError::NotFound)
}

/// What 个人中心 and the review desk show of an application's 写入码.
#[derive(Debug, Clone)]
pub struct PickupState {
    pub medium: Medium,
    /// A code was given out, until (ms).
    pub code_until: Option<i64>,
    /// The assistant reported the certificate written (ms).
    pub written_at: Option<i64>,
}

/// The certificate the CA made for an approved application.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub application_id: String,
    pub serial: Serial,
    pub der: Vec<u8>,
    /// Under an SM2 CA: the encryption certificate and its key pair.
    pub encryption: Option<ca::authority::EncryptionIssued>,
}

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

impl Ra {
    /// 自有证书介质: a new 写入码 for the holder's approved application.
    pub async fn holder_pickup_code(&self, holder_id: &str, id: &str) -> Result<String, RaError> {
        let app = self.application(holder_id, id).await?;
        if app.form.medium != Medium::Own {
            return Err(RaError::Conflict(Msg::new(
                "该申请选择了邮寄证书介质，将由我们写入证书后寄出",
            )));
        }
        self.issue_code(&app.row, &format!("holder:{holder_id}"))
            .await
    }

    /// 邮寄: a new 写入码 for the operator who writes the CA's key and mails it.
    pub async fn operator_pickup_code(
        &self,
        who: &StaffMember,
        id: &str,
    ) -> Result<String, RaError> {
        who.require(Perm::Ship)?;
        let row = applications::by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if form_of(&row)?.medium != Medium::Mail {
            return Err(RaError::Conflict(Msg::new(
                "该申请使用申请人自有的证书介质，由申请人自行写入",
            )));
        }
        self.issue_code(&row, &who.actor()).await
    }

    async fn issue_code(&self, row: &ApplicationRow, actor: &str) -> Result<String, RaError> {
        let business: Business = row.business;
        if !business.picked_up() {
            return Err(RaError::NotFound);
        }
        if row.state != AppState::Approved {
            return Err(RaError::Conflict(Msg::new(
                "申请审核通过后才能生成证书写入码",
            )));
        }
        let mut conn = self.db.conn().await?;
        if pickups::for_application(&mut conn, &row.id)
            .await?
            .is_some_and(|p| p.written_at.is_some())
        {
            return Err(RaError::Conflict(Msg::new(
                "证书已写入证书介质，无需再生成写入码",
            )));
        }
        drop(conn);
        let code = new_code();
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        pickups::put(
            &mut tx,
            &PickupRow {
                application_id: row.id.clone(),
                code_hash: code_hash(&code),
                created_by: actor.to_string(),
                created_at: now,
                expires_at: now + CODE_DAYS * 86_400_000,
                written_at: None,
            },
        )
        .await?;
        applications::add_event(
            &mut tx,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: now,
                actor: actor.to_string(),
                from_state: Some(AppState::Approved),
                to_state: AppState::Approved,
                note: format!("已生成证书写入码（{CODE_DAYS} 天内有效，此前的写入码作废）"),
            },
        )
        .await?;
        // The code itself is never logged nor audited.
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &store::audit::Event {
                actor,
                action: "application.pickup_code",
                object: &row.id,
                details: json!({ "expires_at": now + CODE_DAYS * 86_400_000 }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(code)
    }

    /// Where the 写入码 of an application stands.
    pub async fn pickup_state(&self, row: &ApplicationRow) -> Result<PickupState, RaError> {
        let found = pickups::for_application(&mut *self.db.conn().await?, &row.id).await?;
        Ok(PickupState {
            medium: form_of(row)?.medium,
            code_until: found.as_ref().map(|p| p.expires_at),
            written_at: found.and_then(|p| p.written_at),
        })
    }

    /// The assistant's call: certifies the key of `csr` (PEM or DER) for the
    /// application of the 写入码, with the approved subject. 在线新办 runs for
    /// the years bought from now; 在线补办 keeps the old certificate's end.
    pub async fn pickup_issue(&self, code: &str, csr: &[u8]) -> Result<NewCertificate, RaError> {
        let refused = || RaError::Handoff(Msg::new("写入码不正确或已失效，请在个人中心重新生成"));
        let now = self.now_ms();
        let found = pickups::by_hash(&mut *self.db.conn().await?, &code_hash(code))
            .await?
            .filter(|p| p.expires_at > now)
            .ok_or_else(refused)?;
        let app = applications::by_id(&mut *self.db.conn().await?, &found.application_id)
            .await?
            .ok_or_else(refused)?;
        if app.state != AppState::Approved {
            return Err(refused());
        }
        let business: Business = app.business;
        let cert_type: domain::ProfileKind = app.cert_type;
        let form = form_of(&app)?;
        let subject = form
            .fields
            .subject(cert_type)
            .map_err(|_| RaError::Conflict(Msg::new("申请中的证书信息不完整，请联系客服")))?;
        let not_after = match business {
            Business::Reissue => {
                if form.old_not_after <= now {
                    return Err(RaError::Conflict(Msg::new(
                        "原证书的有效期已届满，请改为办理在线新办",
                    )));
                }
                form.old_not_after
            }
            _ => domain::renewal::renewed_not_after(now, now, form.years.max(1)),
        };
        let csr_der = csr_der(csr)?;
        let actor = format!("holder:{}", app.holder_id);
        let issued = self
            .authority
            .issue(ca::authority::IssueRequest {
                request_id: format!("application:{}", app.id),
                csr: csr_der,
                subject,
                years: 1,
                not_after_ms: Some(not_after),
                actor: found.created_by.clone(),
                keep_encryption_of: None,
            })
            .await
            .map_err(issue_error)?;
        if !issued.replayed {
            applications::add_event(
                &mut *self.db.conn().await?,
                &EventRow {
                    id: new_id(),
                    application_id: app.id.clone(),
                    at: self.now_ms(),
                    actor,
                    from_state: Some(AppState::Approved),
                    to_state: AppState::Approved,
                    note: format!(
                        "新证书已签发（序列号 {}，有效期至 {}），等待写入证书介质",
                        issued.serial,
                        domain::calendar::beijing_minutes(not_after),
                    ),
                },
            )
            .await?;
            tracing::info!(application.id = %app.id, business = business.key(), new = %issued.serial, "certificate picked up");
        }
        Ok(NewCertificate {
            application_id: app.id,
            serial: issued.serial,
            der: issued.cert_der,
            encryption: issued.encryption,
        })
    }

    /// The assistant wrote the certificate of a new or reissued application
    /// (proved with its key). Own key: done. Mailed key: it waits for 已发货.
    /// Returns whether the application is finished.
    pub(crate) async fn written(&self, row: &ApplicationRow) -> Result<bool, RaError> {
        let now = self.now_ms();
        let first = pickups::mark_written(&mut *self.db.conn().await?, &row.id, now).await?;
        if form_of(row)?.medium != Medium::Mail {
            return Ok(true);
        }
        if first {
            applications::add_event(
                &mut *self.db.conn().await?,
                &EventRow {
                    id: new_id(),
                    application_id: row.id.clone(),
                    at: now,
                    actor: "system".into(),
                    from_state: Some(AppState::Approved),
                    to_state: AppState::Approved,
                    note: "证书已写入证书介质，等待寄出".into(),
                },
            )
            .await?;
        }
        Ok(false)
    }

    /// The mailed key arrived: 已完成.
    pub async fn confirm_receipt(&self, holder_id: &str, id: &str) -> Result<(), RaError> {
        let app = self.application(holder_id, id).await?;
        if app.state != AppState::Shipped {
            return Err(RaError::Conflict(Msg::new("证书介质尚未寄出")));
        }
        self.move_state(
            &app.row,
            AppState::Shipped,
            AppAction::Complete,
            &format!("holder:{holder_id}"),
            "申请人确认收到证书介质，业务办理完成",
            None,
        )
        .await?;
        Ok(())
    }

    /// 在线补办, on approval: the old certificate is revoked with the reason the
    /// holder gave. A failure is logged; the approval stands (the reviewer may
    /// revoke from the certificates page).
    /// 在线新办, 在线补办 approved: the old certificate (补办) goes, and the holder
    /// is told how the new one comes.
    pub(crate) async fn issue_approved(&self, row: &ApplicationRow, mobile: &str) {
        self.revoke_replaced(&row.id).await;
        let mailed = serde_json::from_str::<ApplicationForm>(&row.form)
            .is_ok_and(|f| f.medium == Medium::Mail);
        self.notify_holder(
            mobile,
            if mailed {
                "您的证书业务申请已审核通过，我们将把证书写入证书介质后寄出，请留意快递信息。"
            } else {
                "您的证书业务申请已审核通过，请登录个人中心获取证书写入码，用数字证书助手写入您的证书介质。"
            },
        )
        .await;
    }

    pub(crate) async fn revoke_replaced(&self, id: &str) {
        if let Err(e) = self.try_revoke_replaced(id).await {
            tracing::error!(application.id = %id, error = ?e, "old certificate of an approved reissue not revoked");
        }
    }

    async fn try_revoke_replaced(&self, id: &str) -> Result<(), RaError> {
        let Some(row) = applications::by_id(&mut *self.db.conn().await?, id).await? else {
            return Ok(());
        };
        if row.business != Business::Reissue {
            return Ok(());
        }
        let reason: RevocationReason = form_of(&row)?
            .revoke_reason
            .parse()
            .map_err(|_| RaError::Invalid(Msg::new("吊销原因无效")))?;
        let serial = Serial::parse(row.cert_serial.as_deref().unwrap_or_default())
            .map_err(|_| RaError::NotFound)?;
        match self
            .authority
            .revoke(&serial, reason, &format!("holder:{}", row.holder_id))
            .await
        {
            Ok(_) => {}
            Err(ca::CaError::AlreadyRevoked { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        applications::add_event(
            &mut *self.db.conn().await?,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: self.now_ms(),
                actor: "system".into(),
                from_state: Some(AppState::Approved),
                to_state: AppState::Approved,
                note: format!(
                    "原证书（序列号 {serial}）已吊销（吊销原因：{}）",
                    reason.label_zh()
                ),
            },
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_and_typed_forgivingly() {
        let c = new_code();
        assert_eq!(c.len(), 24, "{c}");
        assert_eq!(normalise_code(&c).len(), 20);
        assert_ne!(c, new_code());
        assert_eq!(
            code_hash(&c),
            code_hash(&c.to_lowercase().replace('-', " "))
        );
        assert_eq!(normalise_code("o1il-ABCD"), "0111ABCD");
        assert_ne!(code_hash("AAAA"), code_hash("AAAB"));
    }
}
