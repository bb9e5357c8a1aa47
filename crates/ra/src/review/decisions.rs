//! The three decisions — approve (four eyes when the product says so),
//! return for correction (退回补正), reject finally (审核不通过) — each taken
//! on the version the reviewer saw, in one transaction with its event and
//! audit entry.

use domain::{AppAction, AppState, Perm};
use serde_json::json;
use store::applications::{self, ApplicationRow, EventRow};
use store::audit;
use store::review::{self, ApprovalRow};

use super::{Approval, reason_of, stale};
use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError, new_id};

impl Ra {
    /// The transaction of a decision: it holds only if the application is still
    /// under review at the version the reviewer saw (compare-and-set), so of two
    /// decisions at once one goes through and the other is told.
    async fn decision_tx(&self, id: &str, version: i64, now: i64) -> Result<store::Tx, RaError> {
        let mut tx = self.db.begin().await?;
        if !applications::claim_version(&mut tx, id, version, AppState::PendingReview, now).await? {
            return Err(stale());
        }
        Ok(tx)
    }

    /// Everything a decision needs to hold before it is taken.
    async fn decidable(
        &self,
        who: &StaffMember,
        id: &str,
    ) -> Result<(ApplicationRow, String), RaError> {
        who.require(Perm::Review)?;
        let mut conn = self.db.conn().await?;
        let row = applications::by_id(&mut conn, id)
            .await?
            .ok_or(RaError::NotFound)?;
        let state: AppState = row.state;
        if state != AppState::PendingReview {
            return Err(RaError::Conflict(match state {
                AppState::Cancelled | AppState::Refunding | AppState::Refunded
                    if row.submitted_at.is_some() =>
                {
                    Msg::new("申请人已撤销该申请，无需审核")
                }
                _ => Msg::new("该申请当前为“{state}”，不能审核").arg("state", state.label_zh()),
            }));
        }
        let holder_mobile = store::holders::by_id(&mut conn, &row.holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        if self.own(who, &holder_mobile) {
            return Err(RaError::Forbidden);
        }
        let now = self.now_ms();
        if let Some(c) = review::claim_of(&mut conn, id).await?
            && c.expires_at > now
            && c.staff_id != who.id
        {
            return Err(RaError::Conflict(
                Msg::new("该申请正由 {name} 审核").arg("name", &c.staff_name),
            ));
        }
        Ok((row, holder_mobile))
    }

    async fn audit_in(
        &self,
        tx: &mut store::AnyConnection,
        who: &StaffMember,
        action: &str,
        id: &str,
        details: serde_json::Value,
    ) -> Result<(), RaError> {
        audit::append(
            tx,
            self.db.audit_key()?,
            self.now_ms(),
            &audit::Event {
                actor: &who.actor(),
                action,
                object: id,
                details,
            },
        )
        .await?;
        Ok(())
    }

    /// 审核通过 — or, for a four-eyes product, the first of two approvals.
    pub async fn approve(
        &self,
        who: &StaffMember,
        id: &str,
        version: i64,
        note: &str,
    ) -> Result<Approval, RaError> {
        let (row, mobile) = self.decidable(who, id).await?;
        let note = note.trim();
        let now = self.now_ms();
        let mut conn = self.db.conn().await?;
        let before = review::approvals(&mut conn, id, row.review_round).await?;
        drop(conn);
        if before.iter().any(|a| a.staff_id == who.id) {
            return Err(RaError::Conflict(Msg::new(
                "您已批准过该申请，须由另一位审核员复核",
            )));
        }
        let mut tx = self.decision_tx(id, version, now).await?;
        match review::approve(
            &mut tx,
            &ApprovalRow {
                id: new_id(),
                application_id: id.to_string(),
                round: row.review_round,
                staff_id: who.id.clone(),
                at: now,
                note: note.to_string(),
            },
        )
        .await
        {
            Ok(()) => {}
            Err(store::StoreError::Duplicate(_)) => return Err(stale()),
            Err(e) => return Err(e.into()),
        }
        let count = before.len() as i64 + 1;
        let outcome = if count >= row.reviewers {
            let text = if note.is_empty() {
                "审核通过"
            } else {
                note
            };
            self.move_state_in(
                &mut tx,
                &row,
                AppState::PendingReview,
                AppAction::Approve,
                &who.actor(),
                text,
                None,
            )
            .await?;
            Approval::Approved
        } else {
            applications::add_event(
                &mut tx,
                &EventRow {
                    id: new_id(),
                    application_id: id.to_string(),
                    at: now,
                    actor: who.actor(),
                    from_state: Some(AppState::PendingReview),
                    to_state: AppState::PendingReview,
                    note: "初审通过，等待复核".into(),
                },
            )
            .await?;
            Approval::FirstOfTwo
        };
        self.audit_in(
            &mut tx,
            who,
            if outcome == Approval::Approved {
                "application.approved"
            } else {
                "application.first_approval"
            },
            id,
            json!({ "round": row.review_round, "approvals": count, "needed": row.reviewers, "note": note }),
        )
        .await?;
        // The second reviewer takes it from here (or nobody needs to).
        review::release(&mut tx, id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %id, staff = %who.name, ?outcome, "approval recorded");
        if outcome == Approval::Approved {
            self.approved(&row, &mobile).await;
        }
        Ok(outcome)
    }

    /// 退回补正: the holder corrects and resubmits; a payment stands.
    pub async fn return_for_correction(
        &self,
        who: &StaffMember,
        id: &str,
        version: i64,
        reason: &str,
    ) -> Result<(), RaError> {
        let reason = reason_of(reason)?;
        let (row, mobile) = self.decidable(who, id).await?;
        let now = self.now_ms();
        let mut tx = self.decision_tx(id, version, now).await?;
        self.move_state_in(
            &mut tx,
            &row,
            AppState::PendingReview,
            AppAction::ReturnForCorrection,
            &who.actor(),
            &reason,
            None,
        )
        .await?;
        self.audit_in(
            &mut tx,
            who,
            "application.returned",
            id,
            json!({ "reason": reason }),
        )
        .await?;
        review::release(&mut tx, id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        self.notify_holder(
            &mobile,
            &format!("您的证书业务申请需补正：{reason}。请登录个人中心修改后重新提交。"),
        )
        .await;
        Ok(())
    }

    /// 审核不通过 (final). A paid application moves on to 退款中 in the same
    /// transaction and its refund starts.
    pub async fn reject(
        &self,
        who: &StaffMember,
        id: &str,
        version: i64,
        reason: &str,
    ) -> Result<AppState, RaError> {
        let reason = reason_of(reason)?;
        let (row, mobile) = self.decidable(who, id).await?;
        let now = self.now_ms();
        let mut tx = self.decision_tx(id, version, now).await?;
        let rejected = self
            .move_state_in(
                &mut tx,
                &row,
                AppState::PendingReview,
                AppAction::Reject,
                &who.actor(),
                &reason,
                None,
            )
            .await?;
        self.audit_in(
            &mut tx,
            who,
            "application.rejected",
            id,
            json!({ "reason": reason }),
        )
        .await?;
        let (to, refunds) = self
            .refund_in(&mut tx, &row, rejected, &format!("审核不通过：{reason}"))
            .await?;
        review::release(&mut tx, id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let refund_note = if to == AppState::Refunding {
            "已支付的费用将原路退回。"
        } else {
            ""
        };
        self.notify_holder(
            &mobile,
            &format!("您的证书业务申请审核不通过：{reason}。{refund_note}"),
        )
        .await;
        self.refund_now(&refunds).await;
        Ok(to)
    }
}
