//! Refunds: money follows the ledger. Each captured payment (a `payment` row of
//! the ledger) is given back by its own refund, through the channel it came in
//! by: an order paid twice (支付宝, then 微信支付 for the same QR code) gets its
//! second payment back through 微信支付, and if the application is then
//! rejected or withdrawn, the first through 支付宝.
//!
//! A rejected or withdrawn paid application is refunded in full before its
//! certificate is issued (after, only if configured). Money that arrived for a
//! closed order goes back at once. Bank transfers are refunded by finance by
//! hand; their refunds wait for finance and are never picked by the job.
//!
//! An application is 退款中 while any of its refunds is owed and 已退款 once
//! captured − refunded is 0.

use domain::{AppAction, AppState};
use serde_json::json;
use store::ledger::LedgerRow;
use store::orders;
use store::refunds::{self, RefundRow};
use store::{applications, audit};

use super::Channel;
use super::jobs::retry_delay;
use crate::pipeline::states::{Step, moved_in};
use crate::{Ra, RaError, new_id, random};

/// After this many refused tries the refund is left to finance (FAILED).
const GIVE_UP_AFTER: i64 = 16;
/// How many due refunds one pass of the job tries.
const BATCH: i64 = 50;

impl Ra {
    /// The refund row for one captured payment (not stored yet).
    pub(crate) fn refund_of(
        &self,
        payment: &LedgerRow,
        out_trade_no: &str,
        reason: &str,
        now: i64,
    ) -> RefundRow {
        RefundRow {
            id: new_id(),
            order_id: payment.order_id.clone(),
            payment_id: Some(payment.id.clone()),
            channel: payment.channel.parse().ok(),
            // Unique per refund request, as both gateways require for several
            // refunds of one trade; at most 28 characters.
            out_refund_no: format!(
                "RF{}{}",
                out_trade_no.get(2..22).unwrap_or(out_trade_no),
                random::six_digits()
            ),
            amount_fen: payment.amount_fen,
            reason: reason.to_string(),
            state: domain::RefundState::Pending,
            attempts: 0,
            last_error: None,
            next_attempt_at: now,
            created_at: now,
            done_at: None,
        }
    }

    /// Inside the transaction that just moved an application to 审核不通过 or
    /// 已取消 (`now_state`): opens a refund for every payment captured for it
    /// (over all its orders) that none gives back yet, and moves it on to 退款中
    /// (or straight to 已退款 when everything was given back before). Returns the
    /// state it ends in and the refunds opened. Nothing captured (or issued and
    /// not refundable after issuance) leaves it where it is. The caller commits,
    /// then calls `refund_now` with the ids.
    pub(crate) async fn refund_in(
        &self,
        tx: &mut store::AnyConnection,
        row: &applications::ApplicationRow,
        now_state: AppState,
        reason: &str,
    ) -> Result<(AppState, Vec<String>), RaError> {
        let issued =
            store::certificates::by_request_id(&mut *tx, &format!("application:{}", row.id))
                .await?
                .is_some();
        if issued && !self.pay.refund_after_issuance {
            return Ok((now_state, Vec::new()));
        }
        let now = self.now_ms();
        let mut opened = Vec::new();
        for payment in store::ledger::unrefunded_payments(&mut *tx, &row.id).await? {
            let order = orders::by_id(&mut *tx, &payment.order_id)
                .await?
                .ok_or(RaError::NotFound)?;
            let refund = self.refund_of(&payment, &order.out_trade_no, reason, now);
            if refunds::open(&mut *tx, &refund).await? {
                self.audit_refund_started(tx, &refund, now).await?;
                opened.push(refund.id);
            }
        }
        let all = refunds::for_application(&mut *tx, &row.id).await?;
        if all.is_empty() {
            return Ok((now_state, opened));
        }
        let mut state = self
            .move_state_in(
                tx,
                row,
                now_state,
                AppAction::StartRefund,
                "system",
                "开始退款",
                None,
            )
            .await?;
        if !all.iter().any(RefundRow::live)
            && store::ledger::net_for_application(&mut *tx, &row.id).await? == 0
        {
            // Everything captured was given back before (a duplicate payment
            // refunded on arrival, say): nothing is owed any more.
            let moved = applications::by_id(&mut *tx, &row.id)
                .await?
                .ok_or(RaError::NotFound)?;
            state = self
                .move_state_in(
                    tx,
                    &moved,
                    state,
                    AppAction::Refunded,
                    "system",
                    "已全部退款",
                    None,
                )
                .await?;
        }
        Ok((state, opened))
    }

    pub(crate) async fn audit_refund_started(
        &self,
        tx: &mut store::AnyConnection,
        refund: &RefundRow,
        now: i64,
    ) -> Result<(), RaError> {
        audit::append(
            &mut *tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: "system",
                action: "payment.refund_started",
                object: &refund.order_id,
                details: json!({
                    "out_refund_no": refund.out_refund_no,
                    "amount_fen": refund.amount_fen,
                    "channel": refund.channel.map(Channel::key),
                    "payment": refund.payment_id,
                    "reason": refund.reason,
                }),
            },
        )
        .await?;
        Ok(())
    }

    /// Tries the refunds just opened (after their transaction committed);
    /// what fails is left to the job, with backoff.
    pub async fn refund_now(&self, ids: &[String]) {
        for id in ids {
            let row = match self.db.conn().await {
                Ok(mut c) => refunds::by_id(&mut c, id).await.ok().flatten(),
                Err(_) => None,
            };
            if let Some(r) = row
                && r.state == domain::RefundState::Pending
                && let Err(e) = self.refund_once(&r).await
            {
                tracing::warn!(refund.id = %r.id, error = ?e, "refund not done yet; the job will retry");
            }
        }
    }

    /// Tries the gateway refunds that are due (the job calls this).
    pub async fn retry_refunds(&self) {
        let now = self.now_ms();
        let due = match self.db.conn().await {
            Ok(mut c) => refunds::due(&mut c, now, BATCH).await.unwrap_or_default(),
            Err(_) => return,
        };
        for r in due {
            if let Err(e) = self.refund_once(&r).await {
                tracing::warn!(refund.id = %r.id, error = ?e, "refund not done yet");
            }
        }
    }

    /// Sends one refund through the channel of the payment it gives back.
    pub(crate) async fn refund_once(&self, r: &RefundRow) -> Result<(), RaError> {
        let order = orders::by_id(&mut *self.db.conn().await?, &r.order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let channel = r.channel;
        let now = self.now_ms();
        let done = match channel {
            Some(Channel::Alipay) => {
                let a = self.pay.alipay.as_ref().ok_or(RaError::NotFound)?;
                a.refund(&order.out_trade_no, r.amount_fen, &r.out_refund_no, now)
                    .await
                    .map(|x| x.fund_change || x.refund_fen >= r.amount_fen)
            }
            Some(Channel::WeChat) => {
                let w = self.pay.wechat.as_ref().ok_or(RaError::NotFound)?;
                // The payment refunded in full: its own amount is the total.
                w.refund(
                    &order.out_trade_no,
                    &r.out_refund_no,
                    r.amount_fen,
                    r.amount_fen,
                    now / 1000,
                )
                .await
                .map(|s| s == "SUCCESS")
            }
            // Finance pays bank transfers back by hand.
            _ => return Ok(()),
        };
        let next = now + crate::ms(retry_delay(r.attempts));
        let done = match done {
            Ok(d) => d,
            Err(e) => {
                let state = refunds::failed_attempt(
                    &mut *self.db.conn().await?,
                    &r.id,
                    &e.to_string(),
                    next,
                    GIVE_UP_AFTER,
                )
                .await?;
                if state == Some(domain::RefundState::Failed) {
                    tracing::error!(refund.id = %r.id, order.id = %order.id, "refund refused too often: left to finance");
                }
                return Err(super::pay::gateway(e));
            }
        };
        if !done {
            // Accepted, not settled yet (WeChat's PROCESSING): ask again later.
            refunds::later(&mut *self.db.conn().await?, &r.id, next).await?;
            return Ok(());
        }
        self.book_refund(r, &order, "system").await?;
        Ok(())
    }

    /// The refund has left our account: booked in the ledger (on its own
    /// channel), audited; the application moves to 已退款 once nothing is owed.
    /// False if it was booked before.
    pub(crate) async fn book_refund(
        &self,
        r: &RefundRow,
        order: &store::orders::OrderRow,
        actor: &str,
    ) -> Result<bool, RaError> {
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        // Serialise with other refunds of this application, so the last one to
        // finish sees the others done.
        applications::lock(&mut tx, &order.application_id).await?;
        if !refunds::done(&mut tx, &r.id, now).await? {
            return Ok(false);
        }
        store::ledger::record(
            &mut tx,
            &LedgerRow {
                id: new_id(),
                order_id: order.id.clone(),
                kind: "refund".into(),
                channel: r
                    .channel
                    .or(order.channel)
                    .map(|c| c.key().to_string())
                    .unwrap_or_default(),
                amount_fen: -r.amount_fen,
                gateway_ref: r.out_refund_no.clone(),
                at: now,
                note: r.reason.clone(),
            },
        )
        .await?;
        let owed = refunds::for_application(&mut tx, &order.application_id)
            .await?
            .iter()
            .any(RefundRow::live);
        let net = store::ledger::net_for_application(&mut tx, &order.application_id).await?;
        if !owed && net == 0 {
            let step = Step {
                application_id: &order.application_id,
                from: AppState::Refunding,
                action: AppAction::Refunded,
                actor,
                note: &format!("已退款 {}", domain::Fen(r.amount_fen)),
            };
            moved_in(&mut tx, step, None, now).await?;
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor,
                action: "payment.refunded",
                object: &order.id,
                details: json!({
                    "out_refund_no": r.out_refund_no,
                    "amount_fen": r.amount_fen,
                    "channel": r.channel.map(Channel::key),
                    "payment": r.payment_id,
                    "reason": r.reason,
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(order.id = %order.id, amount_fen = r.amount_fen, channel = ?r.channel, "refunded");
        Ok(true)
    }
}
