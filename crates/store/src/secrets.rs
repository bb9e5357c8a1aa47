//! The installation's own secrets (the audit key, the hand-off challenges'
//! key), stored sealed: the sealing key is the CA key passphrase or the HSM,
//! never in the database, so reading the database does not reveal them.

use sqlx::AnyConnection;

use crate::StoreError;

/// The sealed bytes of secret `name`, if it was made.
pub async fn sealed(conn: &mut AnyConnection, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT sealed FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Stores secret `name` unless another process stored it first; `Ok(true)`
/// if this one is kept.
pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    sealed: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO server_secrets (name, sealed, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
