//! Orders of the payment centre. State changes are compare-and-set on `state`.

use domain::{Channel, OrderState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use crate::StoreError;
use crate::decode::{parsed, parsed_opt};

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub out_trade_no: String,
    pub application_id: String,
    pub holder_id: String,
    pub amount_fen: i64,
    pub subject: String,
    pub state: OrderState,
    pub channel: Option<Channel>,
    /// JSON of the 电子发票 form.
    pub invoice: Option<String>,
    pub agreed_at: Option<i64>,
    pub gateway_trade_no: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub updated_at: i64,
    /// The gateways the order was started at, e.g. `alipay,wechat,`.
    pub gateways: String,
    /// What the 微信支付 QR code encodes, once the holder chose it.
    pub wechat_code_url: Option<String>,
}

impl<'r> FromRow<'r, AnyRow> for OrderRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(OrderRow {
            id: row.try_get("id")?,
            out_trade_no: row.try_get("out_trade_no")?,
            application_id: row.try_get("application_id")?,
            holder_id: row.try_get("holder_id")?,
            amount_fen: row.try_get("amount_fen")?,
            subject: row.try_get("subject")?,
            state: parsed(row, "state")?,
            channel: parsed_opt(row, "channel")?,
            invoice: row.try_get("invoice")?,
            agreed_at: row.try_get("agreed_at")?,
            gateway_trade_no: row.try_get("gateway_trade_no")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            paid_at: row.try_get("paid_at")?,
            updated_at: row.try_get("updated_at")?,
            gateways: row.try_get("gateways")?,
            wechat_code_url: row.try_get("wechat_code_url")?,
        })
    }
}

impl OrderRow {
    /// The gateways to ask about this order: each it was started at.
    pub fn started_at(&self) -> impl Iterator<Item = &str> {
        self.gateways.split(',').filter(|g| !g.is_empty())
    }
}

const COLUMNS: &str = "id, out_trade_no, application_id, holder_id, amount_fen, subject, state, channel, invoice, \
                       agreed_at, gateway_trade_no, created_at, expires_at, paid_at, updated_at, gateways, wechat_code_url";

fn select(filter: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM orders WHERE {filter}"))
}

pub async fn insert(conn: &mut AnyConnection, o: &OrderRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO orders (id, out_trade_no, application_id, holder_id, amount_fen, subject, state, channel, \
         invoice, agreed_at, gateway_trade_no, created_at, expires_at, paid_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&o.id)
    .bind(&o.out_trade_no)
    .bind(&o.application_id)
    .bind(&o.holder_id)
    .bind(o.amount_fen)
    .bind(&o.subject)
    .bind(o.state.key())
    .bind(o.channel.map(Channel::key))
    .bind(&o.invoice)
    .bind(o.agreed_at)
    .bind(&o.gateway_trade_no)
    .bind(o.created_at)
    .bind(o.expires_at)
    .bind(o.paid_at)
    .bind(o.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<OrderRow>, StoreError> {
    Ok(sqlx::query_as(select("id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_out_trade_no(
    conn: &mut AnyConnection,
    no: &str,
) -> Result<Option<OrderRow>, StoreError> {
    Ok(sqlx::query_as(select("out_trade_no = $1"))
        .bind(no)
        .fetch_optional(conn)
        .await?)
}

/// The order if it belongs to this holder.
pub async fn owned(
    conn: &mut AnyConnection,
    id: &str,
    holder_id: &str,
) -> Result<Option<OrderRow>, StoreError> {
    Ok(sqlx::query_as(select("id = $1 AND holder_id = $2"))
        .bind(id)
        .bind(holder_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<OrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE application_id = $1 ORDER BY created_at DESC, id DESC"
    )))
    .bind(application_id)
    .fetch_all(conn)
    .await?)
}

pub async fn open_for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Option<OrderRow>, StoreError> {
    Ok(
        sqlx::query_as(select("application_id = $1 AND state = 'OPEN'"))
            .bind(application_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Saves the invoice details while the order is open.
pub async fn set_invoice(
    conn: &mut AnyConnection,
    id: &str,
    invoice: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE orders SET invoice = $2, agreed_at = NULL, updated_at = $3 WHERE id = $1 AND state = 'OPEN'",
    )
    .bind(id)
    .bind(invoice)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Records that both agreements were accepted (idempotent).
pub async fn agree(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE orders SET agreed_at = COALESCE(agreed_at, $2), updated_at = $2 \
         WHERE id = $1 AND state = 'OPEN' AND invoice IS NOT NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_channel(
    conn: &mut AnyConnection,
    id: &str,
    channel: Channel,
    now: i64,
) -> Result<bool, StoreError> {
    // Online gateways are remembered: a payment may arrive at any of them.
    Ok(sqlx::query(
        "UPDATE orders SET channel = $2, updated_at = $3, \
         gateways = CASE WHEN $2 IN ('alipay', 'wechat') AND gateways NOT LIKE '%' || $2 || ',%' \
                         THEN gateways || $2 || ',' ELSE gateways END \
         WHERE id = $1 AND state = 'OPEN' AND agreed_at IS NOT NULL",
    )
    .bind(id)
    .bind(channel.key())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Keeps the 微信支付 code_url of an open order.
pub async fn set_wechat_code_url(
    conn: &mut AnyConnection,
    id: &str,
    code_url: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET wechat_code_url = $2 WHERE id = $1 AND state = 'OPEN'")
        .bind(id)
        .bind(code_url)
        .execute(conn)
        .await?;
    Ok(())
}

/// OPEN → PAID, once.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: &str,
    channel: Channel,
    gateway_trade_no: &str,
    now: i64,
) -> Result<Option<OrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET state = 'PAID', channel = $2, gateway_trade_no = $3, paid_at = $4, updated_at = $4 \
         WHERE id = $1 AND state = 'OPEN' RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(channel.key())
    .bind(gateway_trade_no)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// OPEN → `to` (EXPIRED or CANCELLED), once.
pub async fn close(
    conn: &mut AnyConnection,
    id: &str,
    to: OrderState,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE orders SET state = $2, updated_at = $3 WHERE id = $1 AND state = 'OPEN'",
    )
    .bind(id)
    .bind(to.key())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Open orders past their expiry.
pub async fn due_to_expire(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE state = 'OPEN' AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open orders sent to a gateway a while ago and not yet paid: their notify may
/// have been lost.
pub async fn awaiting_notify(
    conn: &mut AnyConnection,
    updated_before: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE state = 'OPEN' AND channel IN ('alipay', 'wechat') \
         AND updated_at <= $1 ORDER BY updated_at LIMIT $2"
    )))
    .bind(updated_before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
