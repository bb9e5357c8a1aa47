//! One-time SMS codes.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsCodeRow {
    pub id: String,
    pub mobile: String,
    pub purpose: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub failed_attempts: i64,
    pub used_at: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, row: &SmsCodeRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sms_codes (id, mobile, purpose, code_hash, created_at, expires_at, failed_attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(&row.id)
    .bind(&row.mobile)
    .bind(&row.purpose)
    .bind(&row.code_hash)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest code sent to this number for this purpose.
pub async fn latest(
    conn: &mut AnyConnection,
    mobile: &str,
    purpose: &str,
) -> Result<Option<SmsCodeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, mobile, purpose, code_hash, created_at, expires_at, failed_attempts, used_at \
         FROM sms_codes WHERE mobile = $1 AND purpose = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(mobile)
    .bind(purpose)
    .fetch_optional(conn)
    .await?)
}

/// Uses the code if it is still usable and matches; single use even under
/// concurrency (compare-and-set).
pub async fn consume(
    conn: &mut AnyConnection,
    id: &str,
    code_hash: &str,
    now: i64,
    max_failures: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE sms_codes SET used_at = $3 WHERE id = $1 AND code_hash = $2 AND used_at IS NULL \
         AND expires_at > $3 AND failed_attempts < $4",
    )
    .bind(id)
    .bind(code_hash)
    .bind(now)
    .bind(max_failures)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong try unless `max_failures` are counted already (one
/// statement, so parallel guesses cannot count past the limit); returns the
/// failures so far, or `None` when the code was locked before this try.
pub async fn record_failure(
    conn: &mut AnyConnection,
    id: &str,
    max_failures: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE sms_codes SET failed_attempts = failed_attempts + 1 \
         WHERE id = $1 AND failed_attempts < $2 RETURNING failed_attempts",
    )
    .bind(id)
    .bind(max_failures)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Forgets codes that expired before `before` (housekeeping).
pub async fn prune(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sms_codes WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}
