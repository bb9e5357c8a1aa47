//! Paying an order (图 2.13): off to Alipay's cashier, a WeChat QR code, or the
//! bank receipt for 对公转账.

use bytes::Bytes;
use domain::Msg;
use store::orders;

use super::Channel;
use super::orders::{OrderView, closed};
use crate::{Ra, RaError, new_id};

impl Ra {
    /// An order that may be paid now: open, unexpired, invoice saved, agreed.
    async fn payable(
        &self,
        holder_id: &str,
        order_id: &str,
        channel: Channel,
    ) -> Result<OrderView, RaError> {
        let view = self.order(holder_id, order_id).await?;
        if !view.open() {
            return Err(closed(&view));
        }
        if view.order.agreed_at.is_none() {
            return Err(RaError::Invalid(Msg::new("请先填写电子发票信息并同意协议")));
        }
        if !self.pay.offers(channel) {
            return Err(RaError::Invalid(Msg::new("暂不支持该支付方式")));
        }
        if !orders::set_channel(
            &mut *self.db.conn().await?,
            order_id,
            channel,
            self.now_ms(),
        )
        .await?
        {
            return Err(closed(&view));
        }
        Ok(view)
    }

    /// Where to send the browser for Alipay's cashier.
    pub async fn pay_alipay(&self, holder_id: &str, order_id: &str) -> Result<String, RaError> {
        let view = self.payable(holder_id, order_id, Channel::Alipay).await?;
        let alipay = self.pay.alipay.as_ref().ok_or(RaError::NotFound)?;
        let o = &view.order;
        alipay
            .page_pay_url(
                &o.out_trade_no,
                o.amount_fen,
                &o.subject,
                o.expires_at,
                self.now_ms(),
            )
            .map_err(gateway)
    }

    /// The holder chose 微信支付 (a POST): the gateway's native order, whose
    /// `code_url` is kept for the QR page.
    pub async fn pay_wechat(&self, holder_id: &str, order_id: &str) -> Result<String, RaError> {
        let view = self.payable(holder_id, order_id, Channel::WeChat).await?;
        let wechat = self.pay.wechat.as_ref().ok_or(RaError::NotFound)?;
        let o = &view.order;
        let code_url = wechat
            .native(
                &o.out_trade_no,
                &o.subject,
                o.amount_fen,
                o.expires_at,
                self.now_ms() / 1000,
            )
            .await
            .map_err(gateway)?;
        orders::set_wechat_code_url(&mut *self.db.conn().await?, &o.id, &code_url).await?;
        Ok(code_url)
    }

    /// 对公转账: the holder's bank receipt, for finance to confirm.
    pub async fn bank_receipt(
        &self,
        holder_id: &str,
        order_id: &str,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<(), RaError> {
        let content_type = crate::materials::sniff(&bytes)
            .ok_or_else(|| RaError::Upload(Msg::new(crate::materials::WRONG_TYPE)))?;
        if bytes.len() > self.settings.upload_limit {
            return Err(RaError::Upload(crate::materials::too_large(
                self.settings.upload_limit,
            )));
        }
        let view = self.payable(holder_id, order_id, Channel::Bank).await?;
        let id = new_id();
        let key = format!("receipts/{}/{id}", view.order.id);
        self.blobs.put(&key, bytes).await?;
        store::invoices::insert_transfer(
            &mut *self.db.conn().await?,
            &store::invoices::BankTransferRow {
                id,
                order_id: view.order.id.clone(),
                blob_key: key,
                file_name: file_name
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect(),
                content_type: content_type.into(),
                state: domain::TransferState::Submitted,
                uploaded_at: self.now_ms(),
                decided_by: None,
                decided_at: None,
            },
        )
        .await?;
        tracing::info!(order.id = %view.order.id, "bank transfer receipt uploaded");
        Ok(())
    }
}

/// A gateway that failed us: logged with its reason, shown as a generic message.
pub(crate) fn gateway(e: payment::PaymentError) -> RaError {
    tracing::error!(error = %e, "payment gateway call failed");
    RaError::Invalid(Msg::new("支付渠道暂时不可用，请稍后重试或选择其他支付方式"))
}
