//! 注销: the holder asks for their own certificate to be revoked. The form
//! names the reason (of those a holder may give) and is confirmed with an SMS
//! code to the holder's mobile: the code is used up in the same transaction that
//! saves the form and submits it. The product decides who revokes: a reviewer
//! (the default), or nobody (审核人数 0, `auto_review`), in which case the
//! certificate is revoked at once. Either way the revocation is the CA's own
//! (`Authority::revoke`: audited, OCSP answers evicted, a CRL published), and the
//! application is then 已完成. 注销 is free: no refunds apply.

use domain::{AppAction, AppState, Business, Mobile, RevocationReason, Serial};
use serde::{Deserialize, Serialize};
use store::applications::{self, ApplicationRow};

use super::{ApplicationForm, Material, Prices};
use crate::{FieldErrors, Msg, Ra, RaError};

const PURPOSE: &str = "revoke";
const MAX_NOTE: usize = 200;

/// The reasons a holder may give (RFC 5280): the others are the CA's own.
pub const HOLDER_REASONS: [RevocationReason; 3] = [
    RevocationReason::KeyCompromise,
    RevocationReason::AffiliationChanged,
    RevocationReason::CessationOfOperation,
];

/// The 注销 form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevokeFields {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub code: String,
}

impl RevokeFields {
    /// The reason and the note, or every wrong field. The code is checked
    /// against the SMS sent, later.
    pub fn validate(&self) -> Result<(RevocationReason, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = self
            .reason
            .parse::<RevocationReason>()
            .ok()
            .filter(|r| HOLDER_REASONS.contains(r));
        if reason.is_none() {
            errors.insert("reason", Msg::new("请选择注销原因"));
        }
        let note = self.note.trim();
        if note.chars().count() > MAX_NOTE {
            errors.insert("note", Msg::new("不能超过 {max} 个字").arg("max", MAX_NOTE));
        }
        match reason {
            Some(r) if errors.is_empty() => Ok((r, note.to_string())),
            _ => Err(errors),
        }
    }
}

impl Ra {
    /// The holder's unfinished 注销 and their mobile.
    async fn revocation_of(
        &self,
        holder_id: &str,
        id: &str,
    ) -> Result<(crate::pipeline::ApplicationView, Mobile), RaError> {
        let app = self.application(holder_id, id).await?;
        if app.business != Business::Revoke {
            return Err(RaError::NotFound);
        }
        if app.state == AppState::PendingReview {
            // Asked again from the window (or a second tab) once submitted.
            return Err(RaError::Conflict(Msg::new(
                "注销申请已提交，等待审核；审核通过后证书即失效",
            )));
        }
        if !app.state.editable() {
            return Err(RaError::Conflict(Msg::new("申请当前状态不能修改")));
        }
        let mobile = store::holders::by_id(&mut *self.db.conn().await?, holder_id)
            .await?
            .and_then(|h| Mobile::parse(&h.mobile).ok())
            .ok_or(RaError::NotFound)?;
        Ok((app, mobile))
    }

    /// Sends the confirmation code of a 注销 to the holder's own mobile;
    /// returns the application and the mobile, for the page that says so.
    pub async fn send_revoke_code(
        &self,
        holder_id: &str,
        id: &str,
        client: &str,
    ) -> Result<(crate::pipeline::ApplicationView, Mobile), RaError> {
        let (app, mobile) = self.revocation_of(holder_id, id).await?;
        let (signature, minutes) = (
            self.settings.sms_signature.clone(),
            self.settings.sms_code_ttl.as_secs() / 60,
        );
        let serial = Serial::parse(&app.form.old.serial)
            .map(|s| s.to_string())
            .unwrap_or_default();
        self.send_code(&mobile, PURPOSE, client, |code| {
            format!(
                "【{signature}】验证码 {code}，{minutes} 分钟内有效。您正在申请注销证书（序列号 {serial}），注销后证书立即失效且不可恢复；如非本人操作，请勿告诉他人。"
            )
        })
        .await?;
        tracing::info!(application.id = %id, "sent a revocation code");
        Ok((app, mobile))
    }

    /// Checks the form and the SMS code; in the transaction that uses the code
    /// up, saves the form and submits it. A product without reviewers then
    /// revokes at once. Returns the state the application is in.
    pub async fn confirm_revoke(
        &self,
        holder_id: &str,
        id: &str,
        fields: &RevokeFields,
        client: &str,
    ) -> Result<AppState, RaError> {
        let (app, mobile) = self.revocation_of(holder_id, id).await?;
        let (reason, note) = fields.validate().map_err(RaError::Form)?;
        let mut form = app.form.clone();
        form.revoke_reason = reason.name().to_string();
        form.fields.reason = note;
        form.complete = true;
        let json = form.to_json();
        let now = self.now_ms();
        let actor = format!("holder:{holder_id}");
        self.redeem_code(&mobile, PURPOSE, &fields.code, client, async |tx| {
            let editable = [AppState::Draft, AppState::Returned];
            if !applications::save_form(tx, id, &json, None, &editable, now).await? {
                return Err(RaError::Conflict(Msg::new("申请状态已变化，请刷新页面")));
            }
            self.move_state_in(
                tx,
                &app.row,
                app.state,
                AppAction::SubmitForReview,
                &actor,
                &format!("短信验证通过，申请注销（{}）", reason.label_zh()),
                None,
            )
            .await
        })
        .await?;
        tracing::info!(application.id = %id, reason = reason.name(), "revocation requested");
        self.auto_review(id).await;
        Ok(self.application(holder_id, id).await?.state)
    }

    /// After approval of a 注销: the CA revokes the certificate, then the
    /// application is 已完成. A failure leaves it 审核通过 (logged) for staff to
    /// revoke from 证书管理.
    pub(crate) async fn carry_out_revocation(&self, id: &str) {
        if let Err(e) = self.try_carry_out_revocation(id).await {
            tracing::error!(application.id = %id, error = ?e, "approved revocation not carried out");
        }
    }

    async fn try_carry_out_revocation(&self, id: &str) -> Result<(), RaError> {
        let Some(row) = applications::by_id(&mut *self.db.conn().await?, id).await? else {
            return Ok(());
        };
        if row.business != Business::Revoke || row.state != AppState::Approved {
            return Ok(());
        }
        let form: crate::business::ApplicationForm =
            serde_json::from_str(&row.form).map_err(|_| RaError::NotFound)?;
        let reason: RevocationReason = form
            .revoke_reason
            .parse()
            .map_err(|_| RaError::Invalid(Msg::new("注销原因无效")))?;
        let serial = Serial::parse(row.cert_serial.as_deref().unwrap_or_default())
            .map_err(|_| RaError::NotFound)?;
        let actor = format!("holder:{}", row.holder_id);
        match self.authority.revoke(&serial, reason, &actor).await {
            Ok(_) | Err(ca::CaError::AlreadyRevoked { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.move_state(
            &row,
            AppState::Approved,
            AppAction::Complete,
            "system",
            &format!(
                "证书已注销（吊销原因：{}），CRL 与 OCSP 已更新",
                reason.label_zh()
            ),
            None,
        )
        .await?;
        if let Some(h) = store::holders::by_id(&mut *self.db.conn().await?, &row.holder_id).await? {
            self.notify_holder(
                &h.mobile,
                &format!("您的证书（序列号 {serial}）已注销，即时失效。"),
            )
            .await;
        }
        Ok(())
    }
}

/// 注销's form: the reason and the SMS code, confirmed in one step at
/// `/apply/{id}/revoke` ([`Ra::confirm_revoke`]), never saved alone.
pub type Form = RevokeFields;

/// Shown blank: the reason is chosen when confirming.
pub(crate) fn stored(_form: &ApplicationForm) -> Option<Form> {
    Some(RevokeFields::default())
}

/// Saved only with its SMS code (see [`Form`]): there is no form to save
/// alone.
pub(crate) async fn save(_ra: &Ra, _holder_id: &str, _id: &str, _f: &Form) -> Result<(), RaError> {
    Err(RaError::NotFound)
}

/// Approved: revoked at once; the holder hears of it from there.
pub(crate) async fn approved(ra: &Ra, row: &ApplicationRow, _mobile: &str) {
    ra.carry_out_revocation(&row.id).await;
}

pub(crate) const MATERIALS: &[Material] = &[];

pub(crate) const PRICES: Prices = Prices::FREE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_holders_reasons() {
        let f = |reason: &str| RevokeFields {
            reason: reason.into(),
            ..Default::default()
        };
        assert_eq!(
            f("keyCompromise").validate().unwrap().0,
            RevocationReason::KeyCompromise
        );
        for bad in ["", "superseded", "caCompromise", "certificateHold", "x"] {
            let e = f(bad).validate().unwrap_err();
            assert_eq!(e["reason"].to_string(), "请选择注销原因", "{bad:?}");
        }
    }
}
