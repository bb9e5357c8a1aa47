//! Refunds we owe: one per captured payment (a `payment` row of the ledger),
//! sent back through the channel that payment came in by, retried with backoff
//! until the channel confirms.

use domain::{Channel, RefundState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use crate::StoreError;
use crate::decode::{parsed, parsed_opt};

#[derive(Debug, Clone)]
pub struct RefundRow {
    pub id: String,
    pub order_id: String,
    /// The ledger row of the payment this gives back.
    pub payment_id: Option<String>,
    /// The channel of that payment (`None` for refunds older than the
    /// ledger's payments).
    pub channel: Option<Channel>,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub state: RefundState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

impl<'r> FromRow<'r, AnyRow> for RefundRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(RefundRow {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            payment_id: row.try_get("payment_id")?,
            channel: parsed_opt(row, "channel")?,
            out_refund_no: row.try_get("out_refund_no")?,
            amount_fen: row.try_get("amount_fen")?,
            reason: row.try_get("reason")?,
            state: parsed(row, "state")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
            created_at: row.try_get("created_at")?,
            done_at: row.try_get("done_at")?,
        })
    }
}

impl RefundRow {
    /// Still owed to the holder (not yet confirmed by the channel).
    pub fn live(&self) -> bool {
        self.state != RefundState::Done
    }
}

const COLUMNS: &str = "id, order_id, payment_id, channel, out_refund_no, amount_fen, reason, state, \
     attempts, last_error, next_attempt_at, created_at, done_at";

/// Creates the refund of one payment unless it exists. `Ok(true)` if created.
pub async fn open(conn: &mut AnyConnection, r: &RefundRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO refunds (id, order_id, payment_id, channel, out_refund_no, amount_fen, reason, state, \
         attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', 0, $8, $8) ON CONFLICT (payment_id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.order_id)
    .bind(&r.payment_id)
    .bind(r.channel.map(Channel::key))
    .bind(&r.out_refund_no)
    .bind(r.amount_fen)
    .bind(&r.reason)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Every refund of an order, oldest first.
pub async fn for_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id = $1 ORDER BY created_at, id"
    )))
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// Every refund of an application's orders, oldest first.
pub async fn for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id IN \
         (SELECT id FROM orders WHERE application_id = $1) ORDER BY created_at, id"
    )))
    .bind(application_id)
    .fetch_all(conn)
    .await?)
}

/// Gateway refunds that are due now: what the job can act on. Bank-transfer
/// refunds (finance's) and given-up ones are never picked, so they cannot
/// crowd out the rest.
pub async fn due(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<RefundRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE state = 'PENDING' AND channel IN ('alipay', 'wechat') \
         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// PENDING (or FAILED, booked by hand) → DONE, once.
pub async fn done(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE refunds SET state = 'DONE', done_at = $2, attempts = attempts + 1 \
         WHERE id = $1 AND state IN ('PENDING', 'FAILED')",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Counts a failed try and sets the next one; after `give_up_after` tries the
/// refund is FAILED (left to finance). Returns the state it is in.
pub async fn failed_attempt(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
    next_attempt_at: i64,
    give_up_after: i64,
) -> Result<Option<RefundState>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE refunds SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, \
         state = CASE WHEN attempts + 1 >= $4 THEN 'FAILED' ELSE state END \
         WHERE id = $1 AND state = 'PENDING' RETURNING state",
    )
    .bind(id)
    .bind(error)
    .bind(next_attempt_at)
    .bind(give_up_after)
    .fetch_optional(conn)
    .await?;
    row.map(|(state,)| {
        state.parse().map_err(|e: domain::ParseError| {
            StoreError::Database(sqlx::Error::ColumnDecode {
                index: "state".into(),
                source: Box::new(e),
            })
        })
    })
    .transpose()
}

/// The gateway has not settled it yet (no error): ask again later.
pub async fn later(
    conn: &mut AnyConnection,
    id: &str,
    next_attempt_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE refunds SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1 AND state = 'PENDING'",
    )
    .bind(id)
    .bind(next_attempt_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Finance tries a given-up refund again: FAILED → PENDING, due now.
pub async fn revive(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE refunds SET state = 'PENDING', attempts = 0, next_attempt_at = $2 WHERE id = $1 AND state = 'FAILED'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
