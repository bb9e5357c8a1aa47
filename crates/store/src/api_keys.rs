//! API keys of integrators' systems. A key is looked up by the SHA-256 of what
//! the client sends; the answer carries the account it acts for, so one query
//! authenticates and authorises a request.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub staff_id: &'a str,
    pub key_hash: &'a str,
    pub label: &'a str,
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, k: &NewApiKey<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (id, staff_id, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(k.id)
    .bind(k.staff_id)
    .bind(k.key_hash)
    .bind(k.label)
    .bind(k.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account a working key acts for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyHolder {
    pub key_id: String,
    pub staff_id: String,
    pub name: String,
    pub role: String,
    pub mobile: Option<String>,
}

/// `None` for an unknown or revoked key, or one whose account is disabled.
pub async fn holder(
    conn: &mut AnyConnection,
    key_hash: &str,
) -> Result<Option<KeyHolder>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT k.id AS key_id, s.id AS staff_id, s.name, s.role, s.mobile \
         FROM api_keys k JOIN staff s ON s.id = k.staff_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.disabled_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(conn)
    .await?)
}

/// Revokes every key of an account; how many were working.
pub async fn revoke_all(
    conn: &mut AnyConnection,
    staff_id: &str,
    now: i64,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE api_keys SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL",
    )
    .bind(staff_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
