//! Money arrived: from a notify, a query, or finance confirming a bank transfer.
//! Whatever the path, an order settles once: the ledger takes each gateway trade
//! number once, the order moves OPEN → PAID by compare-and-set, and the
//! application moves to review, all in one transaction with the audit entry.
//! Money for an order that is no longer open (expired, cancelled) is refunded.

use std::collections::BTreeMap;

use domain::{AppAction, AppState, Msg};
use payment::wechat::SignatureHeaders;
use serde_json::json;
use store::audit;
use store::ledger::LedgerRow;
use store::orders::{self, OrderRow};

use super::Channel;
use crate::pipeline::states::{Step, moved_in};
use crate::{Ra, RaError, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The order is now paid and the application waits for review.
    Paid,
    /// This payment was recorded before (a replayed notify): nothing changed.
    AlreadyRecorded,
    /// The order was no longer open: the money goes back.
    Refunding,
}

fn refused(why: &'static str) -> RaError {
    RaError::Invalid(Msg::new(why))
}

impl Ra {
    /// An Alipay async notify (form parameters). Only TRADE_SUCCESS and
    /// TRADE_FINISHED count.
    pub async fn alipay_notify(
        &self,
        params: &BTreeMap<String, String>,
    ) -> Result<Settled, RaError> {
        let alipay = self.pay.alipay.as_ref().ok_or(RaError::NotFound)?;
        let trade = alipay.verify_notify(params).map_err(|e| {
            tracing::warn!(error = %e, "refused an Alipay notify");
            refused("通知验签失败")
        })?;
        if !trade.paid() {
            return Err(refused("交易未支付成功"));
        }
        let order = self.order_by_trade_no(&trade.out_trade_no).await?;
        self.settle(
            &order,
            Channel::Alipay,
            &trade.trade_no,
            trade.total_fen,
            "gateway:alipay",
        )
        .await
    }

    /// A WeChat Pay notify: signature headers and the raw body.
    pub async fn wechat_notify(
        &self,
        headers: &SignatureHeaders,
        body: &str,
    ) -> Result<Settled, RaError> {
        let wechat = self.pay.wechat.as_ref().ok_or(RaError::NotFound)?;
        let t = wechat
            .verify_notify(headers, body, self.now_ms() / 1000)
            .map_err(|e| {
                tracing::warn!(error = %e, "refused a WeChat Pay notify");
                refused("通知验签或解密失败")
            })?;
        if t.trade_state != "SUCCESS" {
            return Err(refused("交易未支付成功"));
        }
        let order = self.order_by_trade_no(&t.out_trade_no).await?;
        self.settle(
            &order,
            Channel::WeChat,
            &t.transaction_id,
            t.amount.total,
            "gateway:wechat",
        )
        .await
    }

    /// One of the holder's orders by its trade number (the return page).
    pub async fn order_by_trade_no_for(
        &self,
        holder_id: &str,
        out_trade_no: &str,
    ) -> Result<OrderRow, RaError> {
        orders::by_out_trade_no(&mut *self.db.conn().await?, out_trade_no)
            .await?
            .filter(|o| o.holder_id == holder_id)
            .ok_or(RaError::NotFound)
    }

    async fn order_by_trade_no(&self, out_trade_no: &str) -> Result<OrderRow, RaError> {
        orders::by_out_trade_no(&mut *self.db.conn().await?, out_trade_no)
            .await?
            .ok_or_else(|| {
                tracing::warn!(out_trade_no, "payment for an unknown order");
                refused("订单不存在")
            })
    }

    /// Asks the order's gateways whether it was paid (a lost notify, the
    /// return page, the expiry job). `None`: not paid (yet).
    pub async fn confirm_with_gateway(&self, order: &OrderRow) -> Result<Option<Settled>, RaError> {
        // Every gateway the order was started at, the one chosen last first:
        // the holder may have paid at another (a QR code left open).
        let mut channels: Vec<Channel> = order.channel.into_iter().collect();
        for g in order.started_at().filter_map(|g| g.parse().ok()) {
            if !channels.contains(&g) {
                channels.push(g);
            }
        }
        for channel in channels {
            if let Some(settled) = self.ask_gateway(order, channel).await? {
                return Ok(Some(settled));
            }
        }
        Ok(None)
    }

    /// One gateway's word on an order; settles what it says was paid.
    async fn ask_gateway(
        &self,
        order: &OrderRow,
        channel: Channel,
    ) -> Result<Option<Settled>, RaError> {
        let now = self.now_ms();
        match channel {
            Channel::Alipay => {
                let Some(alipay) = &self.pay.alipay else {
                    return Ok(None);
                };
                match alipay.query(&order.out_trade_no, now).await {
                    Ok(t) if t.paid() && t.out_trade_no == order.out_trade_no => self
                        .settle(
                            order,
                            Channel::Alipay,
                            &t.trade_no,
                            t.total_fen,
                            "gateway:alipay:query",
                        )
                        .await
                        .map(Some),
                    Ok(_) => Ok(None),
                    Err(e) => {
                        tracing::info!(order.id = %order.id, error = %e, "Alipay query found no payment");
                        Ok(None)
                    }
                }
            }
            Channel::WeChat => {
                let Some(wechat) = &self.pay.wechat else {
                    return Ok(None);
                };
                match wechat.query(&order.out_trade_no, now / 1000).await {
                    Ok(t) if t.trade_state == "SUCCESS" && t.out_trade_no == order.out_trade_no => {
                        self.settle(
                            order,
                            Channel::WeChat,
                            &t.transaction_id,
                            t.amount.total,
                            "gateway:wechat:query",
                        )
                        .await
                        .map(Some)
                    }
                    Ok(_) => Ok(None),
                    Err(e) => {
                        tracing::info!(order.id = %order.id, error = %e, "WeChat Pay query found no payment");
                        Ok(None)
                    }
                }
            }
            Channel::Bank => Ok(None),
        }
    }

    /// The holder is back from a gateway (return URL) or polling: look at the
    /// gateway before answering. Never settles on the say-so of the browser.
    pub async fn check_payment(
        &self,
        holder_id: &str,
        order_id: &str,
    ) -> Result<domain::OrderState, RaError> {
        let view = self.order(holder_id, order_id).await?;
        if view.order.state == domain::OrderState::Open {
            self.confirm_with_gateway(&view.order).await?;
        }
        let order = orders::by_id(&mut *self.db.conn().await?, order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        Ok(order.state)
    }

    /// Finance confirms a 对公转账 receipt (the back office calls this).
    pub async fn confirm_bank_transfer(
        &self,
        order_id: &str,
        staff: &str,
    ) -> Result<Settled, RaError> {
        let transfer = store::invoices::transfers_for_order(&mut *self.db.conn().await?, order_id)
            .await?
            .into_iter()
            .find(|t| t.state == domain::TransferState::Submitted)
            .ok_or_else(|| refused("没有待确认的转账凭证"))?;
        self.confirm_transfer(&transfer, staff).await
    }

    /// Confirms one receipt: the money is booked as if a gateway had said so.
    pub(crate) async fn confirm_transfer(
        &self,
        transfer: &store::invoices::BankTransferRow,
        staff: &str,
    ) -> Result<Settled, RaError> {
        let mut conn = self.db.conn().await?;
        let order = orders::by_id(&mut conn, &transfer.order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        if !store::invoices::decide_transfer(
            &mut conn,
            &transfer.id,
            domain::TransferState::Confirmed,
            staff,
            self.now_ms(),
        )
        .await?
        {
            return Err(RaError::Conflict(Msg::new("该转账凭证已处理")));
        }
        drop(conn);
        let reference = format!("bank:{}", transfer.id);
        self.settle(&order, Channel::Bank, &reference, order.amount_fen, staff)
            .await
    }

    /// The one place money is booked.
    pub(crate) async fn settle(
        &self,
        order: &OrderRow,
        channel: Channel,
        gateway_ref: &str,
        amount_fen: i64,
        actor: &str,
    ) -> Result<Settled, RaError> {
        if amount_fen != order.amount_fen {
            tracing::warn!(order.id = %order.id, expected = order.amount_fen, got = amount_fen, "payment amount does not match the order");
            return Err(refused("支付金额与订单金额不符"));
        }
        if gateway_ref.is_empty() {
            return Err(refused("缺少交易号"));
        }
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let payment = LedgerRow {
            id: new_id(),
            order_id: order.id.clone(),
            kind: "payment".into(),
            channel: channel.key().into(),
            amount_fen,
            gateway_ref: gateway_ref.to_string(),
            at: now,
            note: format!("{}支付", channel.label_zh()),
        };
        let recorded = store::ledger::record(&mut tx, &payment).await?;
        if !recorded {
            // The same payment again: nothing to do.
            return Ok(Settled::AlreadyRecorded);
        }
        let mut late_refund = None;
        let outcome = match orders::mark_paid(&mut tx, &order.id, channel, gateway_ref, now).await?
        {
            Some(_) => {
                let step = Step {
                    application_id: &order.application_id,
                    from: AppState::PendingPayment,
                    action: AppAction::Paid,
                    actor: "system",
                    note: &format!("支付成功（{}）", channel.label_zh()),
                };
                moved_in(&mut tx, step, None, now).await?;
                Settled::Paid
            }
            None => {
                // The order was paid already (by another channel: the
                // holder also scanned the QR code) or closed: this payment
                // goes back the way it came.
                let refund = self.refund_of(
                    &payment,
                    &order.out_trade_no,
                    "订单已支付或已关闭后到账，自动退款",
                    now,
                );
                store::refunds::open(&mut tx, &refund).await?;
                self.audit_refund_started(&mut tx, &refund, now).await?;
                late_refund = Some(refund.id);
                Settled::Refunding
            }
        };
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor,
                action: if outcome == Settled::Paid {
                    "payment.received"
                } else {
                    "payment.received_late"
                },
                object: &order.id,
                details: json!({
                    "out_trade_no": order.out_trade_no,
                    "channel": channel.key(),
                    "gateway_ref": gateway_ref,
                    "amount_fen": amount_fen,
                    "application": order.application_id,
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(order.id = %order.id, channel = channel.key(), amount_fen, outcome = ?outcome, "payment booked");
        match outcome {
            Settled::Paid => {
                self.auto_review(&order.application_id).await;
                if let Err(e) = self.issue_invoice(&order.id).await {
                    tracing::error!(order.id = %order.id, error = ?e, "invoice not issued yet; the job will retry");
                }
            }
            Settled::Refunding => {
                self.refund_now(&late_refund.into_iter().collect::<Vec<_>>())
                    .await
            }
            Settled::AlreadyRecorded => {}
        }
        Ok(outcome)
    }
}
