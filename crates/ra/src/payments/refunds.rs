//! Refunds: a rejected or withdrawn paid application is refunded in full through
//! the channel it was paid with, before its certificate is issued (after, only if
//! configured).
//! Money that arrived for a closed order goes back the same way. Bank transfers
//! are refunded by finance by hand; their refund stays pending until then.

use domain::{AppAction, AppState};
use serde_json::json;
use store::ledger::LedgerRow;
use store::orders;
use store::refunds::{self, RefundRow};
use store::{applications, audit};

use super::Channel;
use crate::{Ra, RaError, new_id};

impl Ra {
    /// Inside the transaction that just moved an application to 审核不通过 or
    /// 已取消 (`now_state`): opens the full refund of its paid order and moves it
    /// on to 退款中. Returns the state it ends in. Nothing to refund (nothing
    /// paid, or issued and not refundable after issuance) leaves it where it is.
    /// The caller commits, then calls `retry_refunds`.
    pub(crate) async fn refund_in(
        &self,
        tx: &mut store::AnyConnection,
        row: &applications::ApplicationRow,
        now_state: AppState,
        reason: &str,
    ) -> Result<AppState, RaError> {
        let paid = orders::for_application(&mut *tx, &row.id)
            .await?
            .into_iter()
            .find(|o| o.state == orders::PAID);
        let Some(order) = paid else {
            return Ok(now_state);
        };
        let issued =
            store::certificates::by_request_id(&mut *tx, &format!("application:{}", row.id))
                .await?
                .is_some();
        if issued && !self.pay.refund_after_issuance {
            return Ok(now_state);
        }
        let now = self.now_ms();
        let refund = refunds::open(
            &mut *tx,
            &RefundRow {
                id: new_id(),
                order_id: order.id.clone(),
                out_refund_no: format!("RF{}", &order.out_trade_no[2..]),
                amount_fen: order.amount_fen,
                reason: reason.to_string(),
                state: refunds::PENDING.into(),
                attempts: 0,
                last_error: None,
                created_at: now,
                done_at: None,
            },
        )
        .await?;
        audit::append(
            &mut *tx,
            now,
            &audit::Event {
                actor: "system",
                action: "payment.refund_started",
                object: &order.id,
                details: json!({ "out_refund_no": refund.out_refund_no, "amount_fen": refund.amount_fen, "reason": reason }),
            },
        )
        .await?;
        self.move_state_in(
            tx,
            row,
            now_state,
            AppAction::StartRefund,
            "system",
            "开始退款",
            None,
        )
        .await
    }

    /// Tries every pending refund once (the jobs call this too).
    pub async fn retry_refunds(&self) {
        let pending = match self.db.conn().await {
            Ok(mut c) => refunds::pending(&mut c, 50).await.unwrap_or_default(),
            Err(_) => return,
        };
        for r in pending {
            if let Err(e) = self.refund_once(&r).await {
                tracing::warn!(refund.id = %r.id, error = ?e, "refund not done yet");
            }
        }
    }

    pub(crate) async fn refund_once(&self, r: &RefundRow) -> Result<(), RaError> {
        let order = orders::by_id(&mut *self.db.conn().await?, &r.order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let channel = order.channel.as_deref().and_then(Channel::parse);
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
                w.refund(
                    &order.out_trade_no,
                    &r.out_refund_no,
                    r.amount_fen,
                    order.amount_fen,
                    now / 1000,
                )
                .await
                .map(|s| s == "SUCCESS")
            }
            // Finance pays bank transfers back by hand.
            _ => return Ok(()),
        };
        let done = match done {
            Ok(d) => d,
            Err(e) => {
                refunds::failed_attempt(&mut *self.db.conn().await?, &r.id, &e.to_string()).await?;
                return Err(super::pay::gateway(e));
            }
        };
        if !done {
            return Ok(());
        }
        self.book_refund(r, &order, "system").await?;
        Ok(())
    }

    /// The refund has left our account: booked in the ledger, the application
    /// moves to 已退款, audited. False if it was booked before.
    pub(crate) async fn book_refund(
        &self,
        r: &RefundRow,
        order: &store::orders::OrderRow,
        actor: &str,
    ) -> Result<bool, RaError> {
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        if !refunds::done(&mut tx, &r.id, now).await? {
            return Ok(false);
        }
        store::ledger::record(
            &mut tx,
            &LedgerRow {
                id: new_id(),
                order_id: order.id.clone(),
                kind: "refund".into(),
                channel: order.channel.clone().unwrap_or_default(),
                amount_fen: -r.amount_fen,
                gateway_ref: r.out_refund_no.clone(),
                at: now,
                note: r.reason.clone(),
            },
        )
        .await?;
        let moved = applications::transition(
            &mut tx,
            &order.application_id,
            AppState::Refunding.key(),
            AppState::Refunded.key(),
            true,
            false,
            None,
            now,
        )
        .await?;
        if moved.is_some() {
            applications::add_event(
                &mut tx,
                &applications::EventRow {
                    id: new_id(),
                    application_id: order.application_id.clone(),
                    at: now,
                    actor: actor.to_string(),
                    from_state: Some(AppState::Refunding.key().into()),
                    to_state: AppState::Refunded.key().into(),
                    note: format!("已退款 {}", domain::Fen(r.amount_fen)),
                },
            )
            .await?;
        }
        audit::append(
            &mut tx,
            now,
            &audit::Event {
                actor,
                action: "payment.refunded",
                object: &order.id,
                details: json!({ "out_refund_no": r.out_refund_no, "amount_fen": r.amount_fen, "reason": r.reason }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(order.id = %order.id, amount_fen = r.amount_fen, "refunded");
        Ok(true)
    }
}
