//! One-time 写入码 of approved 在线新办 and 在线补办 applications (by hash).

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PickupRow {
    pub application_id: String,
    pub code_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub written_at: Option<i64>,
}

const COLUMNS: &str = "application_id, code_hash, created_by, created_at, expires_at, written_at";

/// Sets the application's code, replacing an earlier one (which stops working).
/// Whether the certificate was written already is kept.
pub async fn put(conn: &mut AnyConnection, r: &PickupRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pickup_codes (application_id, code_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application_id) DO UPDATE SET \
         code_hash = excluded.code_hash, created_by = excluded.created_by, \
         created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(&r.application_id)
    .bind(&r.code_hash)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_hash(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<PickupRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pickup_codes WHERE code_hash = $1"
    )))
    .bind(code_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Option<PickupRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pickup_codes WHERE application_id = $1"
    )))
    .bind(application_id)
    .fetch_optional(conn)
    .await?)
}

/// Records that the certificate is in the key; true the first time.
pub async fn mark_written(
    conn: &mut AnyConnection,
    application_id: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE pickup_codes SET written_at = $2 WHERE application_id = $1 AND written_at IS NULL",
    )
    .bind(application_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
