//! Judicial key recovery requests (GM/T 0034 §12.5) and their approvals.

use sqlx::AnyConnection;

use crate::StoreError;

pub const REQUESTED: &str = "REQUESTED";
pub const APPROVED: &str = "APPROVED";
pub const RELEASED: &str = "RELEASED";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecoveryRow {
    pub id: String,
    pub encryption_serial: String,
    pub legal_basis: String,
    pub officer_key: Vec<u8>,
    pub requested_by: String,
    pub state: String,
    pub task_no: String,
    pub envelope: Option<Vec<u8>>,
    pub created_at: i64,
    pub approved_at: Option<i64>,
    pub released_at: Option<i64>,
}

const COLUMNS: &str = "id, encryption_serial, legal_basis, officer_key, requested_by, state, \
     task_no, envelope, created_at, approved_at, released_at";

pub async fn insert(conn: &mut AnyConnection, r: &RecoveryRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO key_recoveries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(&r.id)
    .bind(&r.encryption_serial)
    .bind(&r.legal_basis)
    .bind(&r.officer_key)
    .bind(&r.requested_by)
    .bind(&r.state)
    .bind(&r.task_no)
    .bind(&r.envelope)
    .bind(r.created_at)
    .bind(r.approved_at)
    .bind(r.released_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<RecoveryRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM key_recoveries WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RecoveryRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM key_recoveries ORDER BY created_at DESC, id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records `staff_id`'s approval; `Duplicate` if they approved it already.
pub async fn approve(
    conn: &mut AnyConnection,
    id: &str,
    staff_id: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO key_recovery_approvals (recovery_id, staff_id, at) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(staff_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who approved, in order: (staff id, at).
pub async fn approvals(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT staff_id, at FROM key_recovery_approvals WHERE recovery_id = $1 ORDER BY at, staff_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// REQUESTED → APPROVED; `false` if it was not REQUESTED.
pub async fn mark_approved(
    conn: &mut AnyConnection,
    id: &str,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE key_recoveries SET state = $2, approved_at = $3 WHERE id = $1 AND state = $4",
    )
    .bind(id)
    .bind(APPROVED)
    .bind(at)
    .bind(REQUESTED)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// APPROVED → RELEASED with the envelope; `false` if it was not APPROVED.
pub async fn mark_released(
    conn: &mut AnyConnection,
    id: &str,
    envelope: &[u8],
    at: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE key_recoveries SET state = $2, envelope = $3, released_at = $4 \
         WHERE id = $1 AND state = $5",
    )
    .bind(id)
    .bind(RELEASED)
    .bind(envelope)
    .bind(at)
    .bind(APPROVED)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
