//! The assistant hand-off: challenges and single-use links.

use sqlx::AnyConnection;

use crate::StoreError;

/// Uses a challenge once: remembers it until it expires. False if it was
/// used before. (Challenges themselves are not stored: they carry their own
/// MAC, see `ra::handoff`.)
pub async fn use_challenge(
    conn: &mut AnyConnection,
    nonce: &str,
    now: i64,
    expires_at: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO handoff_challenges (nonce, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $2) ON CONFLICT (nonce) DO NOTHING",
    )
    .bind(nonce)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Forgets used challenges and hand-off links that expired before `before`.
pub async fn prune(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    let mut n = 0;
    for sql in [
        "DELETE FROM handoff_challenges WHERE expires_at < $1",
        "DELETE FROM handoff_links WHERE expires_at < $1",
    ] {
        n += sqlx::query(sql)
            .bind(before)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub token_hash: String,
    pub serial: String,
    pub business: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_link(conn: &mut AnyConnection, row: &LinkRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO handoff_links (token_hash, serial, business, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.token_hash)
    .bind(&row.serial)
    .bind(&row.business)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses a link once; returns it, or None if unknown, expired or used.
pub async fn use_link(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<LinkRow>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE handoff_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING token_hash, serial, business, created_at, expires_at, used_at",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

pub async fn link(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<LinkRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token_hash, serial, business, created_at, expires_at, used_at FROM handoff_links \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}
