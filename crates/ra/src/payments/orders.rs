//! Orders: one per payment attempt of a paid application, created when it is
//! submitted (or reopened after expiry), carrying the 电子发票 details and the
//! holder's acceptance of the agreements.

use domain::{AppState, Msg};
use store::applications::ApplicationRow;
use store::invoices::{BankTransferRow, InvoiceRow};
use store::ledger::LedgerRow;
use store::orders::{self, OrderRow};
use store::refunds::RefundRow;

use super::invoice_form::{InvoiceFields, InvoiceInfo};
use crate::{Ra, RaError, ms, new_id, random};

/// An order with everything the payment centre shows.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: OrderRow,
    pub application: ApplicationRow,
    pub invoice_info: Option<InvoiceInfo>,
    pub ledger: Vec<LedgerRow>,
    pub transfers: Vec<BankTransferRow>,
    pub invoice: Option<InvoiceRow>,
    /// Every refund of the order (one per payment given back).
    pub refunds: Vec<RefundRow>,
    /// Open, but past its expiry (the expiry job has not caught up yet).
    pub expired: bool,
}

impl OrderView {
    pub fn open(&self) -> bool {
        self.order.state == domain::OrderState::Open && !self.expired
    }
}

/// CH + 14 digits of Beijing time + 6 random digits: ≤ 32 characters, as WeChat
/// allows, and sortable by creation.
fn out_trade_no(now_ms: i64) -> String {
    let t: String = domain::calendar::beijing_seconds(now_ms)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("CH{t}{}", random::six_digits())
}

impl Ra {
    /// A new open order for `app` (in the caller's transaction).
    pub(crate) fn new_order(&self, app: &ApplicationRow, amount_fen: i64, now: i64) -> OrderRow {
        let business = app.business;
        OrderRow {
            id: new_id(),
            out_trade_no: out_trade_no(now),
            application_id: app.id.clone(),
            holder_id: app.holder_id.clone(),
            amount_fen,
            subject: format!("{}服务", business.name_zh()),
            state: domain::OrderState::Open,
            channel: None,
            invoice: None,
            agreed_at: None,
            gateway_trade_no: None,
            created_at: now,
            expires_at: now + ms(self.pay.order_ttl),
            paid_at: None,
            updated_at: now,
            gateways: String::new(),
            wechat_code_url: None,
        }
    }

    pub(crate) async fn view_order(&self, order: OrderRow) -> Result<OrderView, RaError> {
        let mut conn = self.db.conn().await?;
        let application = store::applications::by_id(&mut conn, &order.application_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let ledger = store::ledger::for_order(&mut conn, &order.id).await?;
        let transfers = store::invoices::transfers_for_order(&mut conn, &order.id).await?;
        let invoice = store::invoices::for_order(&mut conn, &order.id).await?;
        let refunds = store::refunds::for_order(&mut conn, &order.id).await?;
        Ok(OrderView {
            invoice_info: order
                .invoice
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            expired: order.state == domain::OrderState::Open && order.expires_at <= self.now_ms(),
            order,
            application,
            ledger,
            transfers,
            invoice,
            refunds,
        })
    }

    /// The holder's order, or `NotFound` (also for other holders' ids).
    pub async fn order(&self, holder_id: &str, order_id: &str) -> Result<OrderView, RaError> {
        let order = orders::owned(&mut *self.db.conn().await?, order_id, holder_id)
            .await?
            .ok_or(RaError::NotFound)?;
        self.view_order(order).await
    }

    /// Every order of one of the holder's applications, newest first.
    pub async fn orders_of(
        &self,
        holder_id: &str,
        application_id: &str,
    ) -> Result<Vec<OrderRow>, RaError> {
        let mut conn = self.db.conn().await?;
        store::applications::owned(&mut conn, application_id, holder_id)
            .await?
            .ok_or(RaError::NotFound)?;
        Ok(orders::for_application(&mut conn, application_id).await?)
    }

    /// Saves the 电子发票 details (图 2.11). On errors nothing is saved. Saving
    /// again (修改发票信息) asks for the agreements again.
    pub async fn save_invoice_info(
        &self,
        holder_id: &str,
        order_id: &str,
        fields: &InvoiceFields,
    ) -> Result<(), RaError> {
        let view = self.order(holder_id, order_id).await?;
        if !view.open() {
            return Err(closed(&view));
        }
        let info = fields.validate().map_err(RaError::Form)?;
        let json = info.to_json();
        if !orders::set_invoice(&mut *self.db.conn().await?, order_id, &json, self.now_ms()).await?
        {
            return Err(closed(&view));
        }
        Ok(())
    }

    /// Records that both agreements were accepted (图 2.12); checked here, not
    /// only by the page's disabled button.
    pub async fn agree(
        &self,
        holder_id: &str,
        order_id: &str,
        payment_terms: bool,
        service_terms: bool,
    ) -> Result<(), RaError> {
        let view = self.order(holder_id, order_id).await?;
        if !view.open() {
            return Err(closed(&view));
        }
        if view.invoice_info.is_none() {
            return Err(RaError::Invalid(Msg::new("请先填写电子发票信息")));
        }
        if !(payment_terms && service_terms) {
            return Err(RaError::Invalid(Msg::new(
                "请阅读并同意《在线缴费协议》和《电子认证证书服务条款》",
            )));
        }
        if !orders::agree(&mut *self.db.conn().await?, order_id, self.now_ms()).await? {
            return Err(closed(&view));
        }
        Ok(())
    }

    /// 个人中心's 去支付: the open order of an application awaiting payment, or a
    /// new one when the last expired.
    pub async fn reopen(&self, holder_id: &str, application_id: &str) -> Result<String, RaError> {
        let app = self.application(holder_id, application_id).await?;
        if app.state != AppState::PendingPayment {
            return Err(RaError::Conflict(Msg::new("申请当前状态不需要支付")));
        }
        let now = self.now_ms();
        let mut conn = self.db.conn().await?;
        if let Some(open) = orders::open_for_application(&mut conn, application_id).await?
            && open.expires_at > now
        {
            return Ok(open.id);
        }
        // An open order past its expiry is closed first, so a new one may open.
        if let Some(stale) = orders::open_for_application(&mut conn, application_id).await? {
            orders::close(&mut conn, &stale.id, domain::OrderState::Expired, now).await?;
        }
        let order = self.new_order(&app.row, app.row.price_fen, now);
        match orders::insert(&mut conn, &order).await {
            Ok(()) => Ok(order.id),
            Err(store::StoreError::Duplicate(_)) => {
                orders::open_for_application(&mut conn, application_id)
                    .await?
                    .map(|o| o.id)
                    .ok_or(RaError::Conflict(Msg::new("请稍后重试")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

pub(crate) fn closed(view: &OrderView) -> RaError {
    match view.order.state {
        domain::OrderState::Paid => RaError::Conflict(Msg::new("该订单已支付")),
        domain::OrderState::Cancelled => RaError::Conflict(Msg::new("该订单已取消，不能支付")),
        _ => RaError::Conflict(Msg::new("订单已过期，请在个人中心重新发起支付")),
    }
}
