//! Browser sessions, by the hash of the cookie's token.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub holder_id: Option<String>,
    /// JSON document: pending hand-off, where to go after sign-in.
    pub data: String,
    pub created_at: i64,
    pub seen_at: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, holder_id, data, created_at, seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&row.id_hash)
    .bind(&row.holder_id)
    .bind(&row.data)
    .bind(row.created_at)
    .bind(row.seen_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session (not expired, not idle past `idle_since`).
pub async fn live(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
    idle_since: i64,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id_hash, holder_id, data, created_at, seen_at, expires_at FROM sessions \
         WHERE id_hash = $1 AND expires_at > $2 AND seen_at > $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(conn)
    .await?)
}

pub async fn touch(conn: &mut AnyConnection, id_hash: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_data(
    conn: &mut AnyConnection,
    id_hash: &str,
    data: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET data = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(data)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn prune(conn: &mut AnyConnection, now: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}
