//! 财务: orders, refunds, invoices and bank-transfer receipts, filterable and
//! exportable to CSV; confirming or refusing a 对公转账 receipt; retrying a refund;
//! booking a bank-transfer refund paid by hand.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::{Channel, RefundState};
use serde::Deserialize;
use store::finance::{FinanceFilter, FinanceInvoice, FinanceOrder, FinanceRefund, FinanceTransfer};

use super::{Frame, Signed, money, when};
use crate::AppState as Web;
use crate::WebError;
use crate::page::encode;
use crate::respond::{page_ok, see_other};

#[derive(Debug, Deserialize, Default, Clone)]
pub struct FinanceQuery {
    state: Option<String>,
    channel: Option<String>,
    number: Option<String>,
    /// YYYY-MM-DD (Beijing time), inclusive.
    from: Option<String>,
    /// YYYY-MM-DD (Beijing time), inclusive.
    to: Option<String>,
    done: Option<String>,
}

impl FinanceQuery {
    /// Unknown or malformed values are left out: the page is a view.
    fn filter(&self) -> FinanceFilter {
        let pick = |v: &Option<String>, allowed: &[&str]| {
            v.clone().filter(|s| allowed.contains(&s.as_str()))
        };
        FinanceFilter {
            state: pick(&self.state, &["OPEN", "PAID", "EXPIRED", "CANCELLED"]),
            channel: pick(&self.channel, &["alipay", "wechat", "bank"]),
            number: self.number.clone().filter(|n| !n.trim().is_empty()),
            from: self.from.as_deref().and_then(super::beijing_day_ms),
            to: self
                .to
                .as_deref()
                .and_then(super::beijing_day_ms)
                .map(|t| t + 86_400_000),
            limit: 0,
        }
    }

    fn query_string(&self) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("state", &self.state),
            ("channel", &self.channel),
            ("number", &self.number),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={}", encode(v)));
            }
        }
        q.join("&")
    }
}

fn channel(c: Option<Channel>) -> &'static str {
    c.map_or("—", Channel::label_zh)
}

struct OrderLine {
    no: String,
    application: String,
    subject: String,
    amount: String,
    state: &'static str,
    channel: &'static str,
    created: String,
    paid: String,
    invoice: String,
    refund: String,
}

struct RefundLine {
    id: String,
    no: String,
    order: String,
    channel: &'static str,
    amount: String,
    reason: String,
    pending: bool,
    /// Given up by the job: finance must act.
    failed: bool,
    bank: bool,
    attempts: i64,
    last_error: String,
    created: String,
    done: String,
}

struct InvoiceLine {
    number: String,
    order: String,
    title: String,
    tax_id: String,
    amount: String,
    issued: String,
    mailed: String,
    /// Why the mail was given up (finance contacts the holder).
    mail_failed: String,
}

struct TransferLine {
    id: String,
    order: String,
    amount: String,
    file: String,
    state: &'static str,
    pending: bool,
    uploaded: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "admin/finance.html")]
struct FinancePage {
    f: Frame,
    q: FinanceQuery,
    export: String,
    orders: Vec<OrderLine>,
    refunds: Vec<RefundLine>,
    invoices: Vec<InvoiceLine>,
    transfers: Vec<TransferLine>,
    notice: Option<&'static str>,
}

impl FinancePage {
    fn sel(&self, field: &str, value: &str) -> &'static str {
        let v = match field {
            "state" => &self.q.state,
            _ => &self.q.channel,
        };
        if v.as_deref() == Some(value) {
            "selected"
        } else {
            ""
        }
    }
}

/// A time, or a dash when it has not happened.
fn at_or_dash(ms: Option<i64>) -> String {
    ms.map(when).unwrap_or_else(|| "—".into())
}

impl From<FinanceOrder> for OrderLine {
    fn from(o: FinanceOrder) -> Self {
        OrderLine {
            no: o.out_trade_no,
            application: o.application_id,
            subject: o.subject,
            amount: money(o.amount_fen),
            state: o.state.label_zh(),
            channel: channel(o.channel),
            created: when(o.created_at),
            paid: at_or_dash(o.paid_at),
            invoice: o.invoice_number.unwrap_or_default(),
            refund: match (o.refund_state, o.refund_fen) {
                (Some(RefundState::Done), Some(fen)) => format!("已退款 {}", money(fen)),
                (Some(RefundState::Failed), Some(fen)) => format!("退款待人工处理 {}", money(fen)),
                (Some(_), Some(fen)) => format!("退款中 {}", money(fen)),
                _ => String::new(),
            },
        }
    }
}

impl From<FinanceRefund> for RefundLine {
    fn from(r: FinanceRefund) -> Self {
        RefundLine {
            pending: r.state != RefundState::Done,
            failed: r.state == RefundState::Failed,
            bank: r.channel == Some(Channel::Bank),
            id: r.id,
            no: r.out_refund_no,
            order: r.out_trade_no,
            channel: channel(r.channel),
            amount: money(r.amount_fen),
            reason: r.reason,
            attempts: r.attempts,
            last_error: r.last_error.unwrap_or_default(),
            created: when(r.created_at),
            done: at_or_dash(r.done_at),
        }
    }
}

impl From<FinanceInvoice> for InvoiceLine {
    fn from(i: FinanceInvoice) -> Self {
        InvoiceLine {
            number: i.number,
            order: i.out_trade_no,
            title: i.title,
            tax_id: i.tax_id.unwrap_or_default(),
            amount: money(i.amount_fen),
            issued: when(i.issued_at),
            mailed: at_or_dash(i.mailed_at),
            mail_failed: match i.mail_failed_at {
                Some(_) => i.mail_error.unwrap_or_default(),
                None => String::new(),
            },
        }
    }
}

impl From<FinanceTransfer> for TransferLine {
    fn from(x: FinanceTransfer) -> Self {
        TransferLine {
            pending: x.state == domain::TransferState::Submitted,
            state: x.state.label_zh(),
            id: x.id,
            order: x.out_trade_no,
            amount: money(x.amount_fen),
            file: x.file_name,
            uploaded: when(x.uploaded_at),
            decided: match (x.decided_by, x.decided_at) {
                (Some(by), Some(at)) => format!("{by}（{}）", when(at)),
                _ => "—".into(),
            },
        }
    }
}

/// What the page says when an action has brought the staff member back to it.
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("confirmed") => Some("已确认收款，订单已支付，申请进入待审核"),
        Some("refused") => Some("已退回该转账凭证，申请人可重新上传"),
        Some("retried") => Some("已重新发起退款"),
        Some("paid") => Some("已登记线下退款"),
        _ => None,
    }
}

pub async fn overview(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<FinanceQuery>,
) -> Result<Response, WebError> {
    let view = state.ra.finance_view(&s.who, &q.filter()).await?;
    Ok(page_ok(&FinancePage {
        export: q.query_string(),
        orders: view.orders.into_iter().map(OrderLine::from).collect(),
        refunds: view.refunds.into_iter().map(RefundLine::from).collect(),
        invoices: view.invoices.into_iter().map(InvoiceLine::from).collect(),
        transfers: view.transfers.into_iter().map(TransferLine::from).collect(),
        notice: notice(q.done.as_deref()),
        q,
        f: Frame {
            nav: "finance",
            ..f
        },
    }))
}

pub async fn export(
    State(state): State<Web>,
    s: Signed,
    Path(what): Path<String>,
    Query(q): Query<FinanceQuery>,
) -> Result<Response, WebError> {
    let csv = state.ra.finance_csv(&s.who, &what, &q.filter()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"certhall-{what}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

pub async fn receipt(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (t, bytes) = state.ra.receipt_for_staff(&s.who, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, t.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename*=UTF-8''{}", encode(&t.file_name)),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn confirm_transfer(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.confirm_transfer_by_staff(&s.who, &id).await?;
    Ok(see_other("/admin/finance?done=confirmed#transfers"))
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn refuse_transfer(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .refuse_transfer_by_staff(&s.who, &id, &form.reason)
        .await?;
    Ok(see_other("/admin/finance?done=refused#transfers"))
}

pub async fn retry_refund(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.retry_refund_by_staff(&s.who, &id).await?;
    Ok(see_other("/admin/finance?done=retried#refunds"))
}

#[derive(Debug, Deserialize)]
pub struct PaidForm {
    #[serde(default)]
    bank_reference: String,
}

pub async fn refund_paid(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(form): Form<PaidForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .refund_paid_by_staff(&s.who, &id, &form.bank_reference)
        .await?;
    Ok(see_other("/admin/finance?done=paid#refunds"))
}
