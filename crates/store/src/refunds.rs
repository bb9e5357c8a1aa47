//! Refunds we owe: created once per order, retried until the channel confirms.

use sqlx::AnyConnection;

use crate::StoreError;

pub const PENDING: &str = "PENDING";
pub const DONE: &str = "DONE";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

const COLUMNS: &str = "id, order_id, out_refund_no, amount_fen, reason, state, attempts, last_error, created_at, done_at";

/// Creates the refund of an order unless one exists; returns the order's refund.
pub async fn open(conn: &mut AnyConnection, r: &RefundRow) -> Result<RefundRow, StoreError> {
    sqlx::query(
        "INSERT INTO refunds (id, order_id, out_refund_no, amount_fen, reason, state, attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.order_id)
    .bind(&r.out_refund_no)
    .bind(r.amount_fen)
    .bind(&r.reason)
    .bind(r.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id = $1"
    )))
    .bind(&r.order_id)
    .fetch_one(conn)
    .await?)
}

pub async fn for_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn pending(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE state = 'PENDING' ORDER BY created_at LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// PENDING → DONE, once.
pub async fn done(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query("UPDATE refunds SET state = 'DONE', done_at = $2, attempts = attempts + 1 WHERE id = $1 AND state = 'PENDING'")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn failed_attempt(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE refunds SET attempts = attempts + 1, last_error = $2 WHERE id = $1 AND state = 'PENDING'")
        .bind(id)
        .bind(error)
        .execute(conn)
        .await?;
    Ok(())
}
