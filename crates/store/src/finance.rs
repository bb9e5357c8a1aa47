//! Finance's lists: orders with their invoice and refund, refunds, invoices and
//! bank-transfer receipts, filtered by state and time.

use domain::{Channel, OrderState, RefundState, TransferState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use crate::StoreError;
use crate::decode::{parsed, parsed_opt};
use crate::filter::Where;

#[derive(Debug, Clone, Default)]
pub struct FinanceFilter {
    pub state: Option<String>,
    pub channel: Option<String>,
    /// Created at or after (ms).
    pub from: Option<i64>,
    /// Created before (ms).
    pub to: Option<i64>,
    /// Part of the order number.
    pub number: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct FinanceOrder {
    pub id: String,
    pub out_trade_no: String,
    pub application_id: String,
    pub amount_fen: i64,
    pub subject: String,
    pub state: OrderState,
    pub channel: Option<Channel>,
    pub gateway_trade_no: Option<String>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub invoice_number: Option<String>,
    pub invoice_title: Option<String>,
    pub refund_state: Option<RefundState>,
    pub refund_fen: Option<i64>,
}

impl<'r> FromRow<'r, AnyRow> for FinanceOrder {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(FinanceOrder {
            id: row.try_get("id")?,
            out_trade_no: row.try_get("out_trade_no")?,
            application_id: row.try_get("application_id")?,
            amount_fen: row.try_get("amount_fen")?,
            subject: row.try_get("subject")?,
            state: parsed(row, "state")?,
            channel: parsed_opt(row, "channel")?,
            gateway_trade_no: row.try_get("gateway_trade_no")?,
            created_at: row.try_get("created_at")?,
            paid_at: row.try_get("paid_at")?,
            invoice_number: row.try_get("invoice_number")?,
            invoice_title: row.try_get("invoice_title")?,
            refund_state: parsed_opt(row, "refund_state")?,
            refund_fen: row.try_get("refund_fen")?,
        })
    }
}

pub async fn orders(
    conn: &mut AnyConnection,
    f: &FinanceFilter,
) -> Result<Vec<FinanceOrder>, StoreError> {
    let mut w = Where::default();
    w.eq("o.state", f.state.as_deref())
        .eq("o.channel", f.channel.as_deref())
        .cmp("o.created_at", ">=", f.from)
        .cmp("o.created_at", "<", f.to)
        .contains(&["o.out_trade_no"], f.number.as_deref());
    let limit = w.param(f.limit);
    let sql = format!(
        "SELECT o.id, o.out_trade_no, o.application_id, o.amount_fen, o.subject, o.state, o.channel, \
         o.gateway_trade_no, o.created_at, o.paid_at, i.number AS invoice_number, i.title AS invoice_title, \
         (SELECT CASE WHEN COUNT(*) = 0 THEN NULL \
                      WHEN SUM(CASE WHEN r.state = 'FAILED' THEN 1 ELSE 0 END) > 0 THEN 'FAILED' \
                      WHEN SUM(CASE WHEN r.state = 'PENDING' THEN 1 ELSE 0 END) > 0 THEN 'PENDING' \
                      ELSE 'DONE' END FROM refunds r WHERE r.order_id = o.id) AS refund_state, \
         (SELECT CAST(SUM(r.amount_fen) AS BIGINT) FROM refunds r WHERE r.order_id = o.id) AS refund_fen \
         FROM orders o LEFT JOIN invoices i ON i.order_id = o.id{} \
         ORDER BY o.created_at DESC, o.id LIMIT {limit}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone)]
pub struct FinanceRefund {
    pub id: String,
    pub order_id: String,
    pub out_trade_no: String,
    pub channel: Option<Channel>,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub state: RefundState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

impl<'r> FromRow<'r, AnyRow> for FinanceRefund {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(FinanceRefund {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            out_trade_no: row.try_get("out_trade_no")?,
            channel: parsed_opt(row, "channel")?,
            out_refund_no: row.try_get("out_refund_no")?,
            amount_fen: row.try_get("amount_fen")?,
            reason: row.try_get("reason")?,
            state: parsed(row, "state")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
            created_at: row.try_get("created_at")?,
            done_at: row.try_get("done_at")?,
        })
    }
}

pub async fn refunds(
    conn: &mut AnyConnection,
    f: &FinanceFilter,
) -> Result<Vec<FinanceRefund>, StoreError> {
    let mut w = Where::default();
    w.eq("r.state", f.state.as_deref())
        .cmp("r.created_at", ">=", f.from)
        .cmp("r.created_at", "<", f.to);
    let limit = w.param(f.limit);
    let sql = format!(
        "SELECT r.id, r.order_id, o.out_trade_no, COALESCE(r.channel, o.channel) AS channel, r.out_refund_no, r.amount_fen, r.reason, r.state, \
         r.attempts, r.last_error, r.created_at, r.done_at \
         FROM refunds r JOIN orders o ON o.id = r.order_id{} ORDER BY r.created_at DESC, r.id LIMIT {limit}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FinanceInvoice {
    pub number: String,
    pub order_id: String,
    pub out_trade_no: String,
    pub title_type: String,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub amount_fen: i64,
    pub issued_at: i64,
    pub mailed_at: Option<i64>,
    pub mail_error: Option<String>,
    pub mail_failed_at: Option<i64>,
}

pub async fn invoices(
    conn: &mut AnyConnection,
    f: &FinanceFilter,
) -> Result<Vec<FinanceInvoice>, StoreError> {
    let mut w = Where::default();
    w.cmp("i.issued_at", ">=", f.from)
        .cmp("i.issued_at", "<", f.to);
    let limit = w.param(f.limit);
    let sql = format!(
        "SELECT i.number, i.order_id, o.out_trade_no, i.title_type, i.title, i.tax_id, i.email, i.amount_fen, \
         i.issued_at, i.mailed_at, i.mail_error, i.mail_failed_at FROM invoices i JOIN orders o ON o.id = i.order_id{} \
         ORDER BY i.issued_at DESC, i.number LIMIT {limit}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FinanceTransfer {
    pub id: String,
    pub order_id: String,
    pub out_trade_no: String,
    pub amount_fen: i64,
    pub file_name: String,
    #[sqlx(try_from = "String")]
    pub state: TransferState,
    pub uploaded_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

pub async fn transfers(
    conn: &mut AnyConnection,
    f: &FinanceFilter,
) -> Result<Vec<FinanceTransfer>, StoreError> {
    let mut w = Where::default();
    w.eq("t.state", f.state.as_deref())
        .cmp("t.uploaded_at", ">=", f.from)
        .cmp("t.uploaded_at", "<", f.to);
    let limit = w.param(f.limit);
    let sql = format!(
        "SELECT t.id, t.order_id, o.out_trade_no, o.amount_fen, t.file_name, t.state, t.uploaded_at, \
         t.decided_by, t.decided_at FROM bank_transfers t JOIN orders o ON o.id = t.order_id{} \
         ORDER BY t.uploaded_at DESC, t.id LIMIT {limit}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

pub async fn transfer_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<crate::invoices::BankTransferRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, blob_key, file_name, content_type, state, uploaded_at, decided_by, decided_at \
         FROM bank_transfers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}
