//! The KMC's tables, in the KMC's own database (`Db::migrate_kmc`): its
//! sealed master key, the escrowed encryption keys and the tasks it answered.
//! The CA's code never calls these; the CA's database has none of them.

use sqlx::AnyConnection;

use crate::StoreError;

/// The master key's sealed bytes, if it was made.
pub async fn sealed_secret(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT sealed FROM kmc_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Stores a sealed secret unless another process stored it first; `Ok(true)`
/// if this one is kept.
pub async fn insert_secret(
    conn: &mut AnyConnection,
    name: &str,
    sealed: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO kmc_secrets (name, sealed, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A task answered earlier.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub request_sha256: String,
    pub response: Vec<u8>,
}

pub async fn task(
    conn: &mut AnyConnection,
    ca_key_hash: &str,
    task_no: &str,
) -> Result<Option<TaskRow>, StoreError> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT request_sha256, response FROM kmc_tasks WHERE ca_key_hash = $1 AND task_no = $2",
    )
    .bind(ca_key_hash)
    .bind(task_no)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(request_sha256, response)| TaskRow {
        request_sha256,
        response,
    }))
}

/// Records a task's answer; `Duplicate` if the number was taken meanwhile.
pub async fn insert_task(
    conn: &mut AnyConnection,
    ca_key_hash: &str,
    task_no: &str,
    request_sha256: &str,
    response: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO kmc_tasks (ca_key_hash, task_no, request_sha256, response, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ca_key_hash)
    .bind(task_no)
    .bind(request_sha256)
    .bind(response)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The states of an escrowed key.
pub const KEY_ACTIVE: &str = "ACTIVE";
pub const KEY_REVOKED: &str = "REVOKED";

/// An escrowed encryption key pair.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub ca_key_hash: String,
    pub user_cert_no: String,
    pub public_key: Vec<u8>,
    pub sealed_private: Vec<u8>,
    pub holder_key: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub task_no: String,
    pub state: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const KEY_COLUMNS: &str = "ca_key_hash, user_cert_no, public_key, sealed_private, holder_key, \
     not_before, not_after, task_no, state, created_at, revoked_at";

/// Escrows a key pair; `Duplicate` if the certificate number has one.
pub async fn insert_key(conn: &mut AnyConnection, row: &KeyRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO kmc_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(&row.ca_key_hash)
    .bind(&row.user_cert_no)
    .bind(&row.public_key)
    .bind(&row.sealed_private)
    .bind(&row.holder_key)
    .bind(row.not_before)
    .bind(row.not_after)
    .bind(&row.task_no)
    .bind(&row.state)
    .bind(row.created_at)
    .bind(row.revoked_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn key(
    conn: &mut AnyConnection,
    ca_key_hash: &str,
    user_cert_no: &str,
) -> Result<Option<KeyRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM kmc_keys WHERE ca_key_hash = $1 AND user_cert_no = $2"
    )))
    .bind(ca_key_hash)
    .bind(user_cert_no)
    .fetch_optional(conn)
    .await?)
}

/// Marks an active key revoked; `Ok(false)` if it was not active.
pub async fn revoke_key(
    conn: &mut AnyConnection,
    ca_key_hash: &str,
    user_cert_no: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE kmc_keys SET state = $1, revoked_at = $2 \
         WHERE ca_key_hash = $3 AND user_cert_no = $4 AND state = $5",
    )
    .bind(KEY_REVOKED)
    .bind(now)
    .bind(ca_key_hash)
    .bind(user_cert_no)
    .bind(KEY_ACTIVE)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
