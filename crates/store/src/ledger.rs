//! The ledger: every payment and refund, recorded once.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: String,
    pub order_id: String,
    /// `payment` or `refund`.
    pub kind: String,
    pub channel: String,
    pub amount_fen: i64,
    /// The gateway's trade or refund number (or our own reference for bank transfers).
    pub gateway_ref: String,
    pub at: i64,
    pub note: String,
}

/// Records a movement; `Ok(false)` if this exact movement was recorded before.
pub async fn record(conn: &mut AnyConnection, e: &LedgerRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO ledger (id, order_id, kind, channel, amount_fen, gateway_ref, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (channel, kind, gateway_ref) DO NOTHING",
    )
    .bind(&e.id)
    .bind(&e.order_id)
    .bind(&e.kind)
    .bind(&e.channel)
    .bind(e.amount_fen)
    .bind(&e.gateway_ref)
    .bind(e.at)
    .bind(&e.note)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn for_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, kind, channel, amount_fen, gateway_ref, at, note FROM ledger WHERE order_id = $1 ORDER BY at, id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// The payments captured for an application (over all its orders) that no
/// refund gives back yet.
pub async fn unrefunded_payments(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT l.id, l.order_id, l.kind, l.channel, l.amount_fen, l.gateway_ref, l.at, l.note FROM ledger l \
         WHERE l.kind = 'payment' AND l.order_id IN (SELECT id FROM orders WHERE application_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = l.id) ORDER BY l.at, l.id",
    )
    .bind(application_id)
    .fetch_all(conn)
    .await?)
}

/// Captured minus refunded, over all of an application's orders (fen).
pub async fn net_for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM ledger \
         WHERE order_id IN (SELECT id FROM orders WHERE application_id = $1)",
    )
    .bind(application_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}
