//! Browser sessions, by the hash of the cookie's token.

use sqlx::AnyConnection;

use crate::StoreError;
use crate::holders::HolderRow;

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
) -> Result<Option<(SessionRow, Option<HolderRow>)>, StoreError> {
    // One query for the session and its holder: every signed-in page starts here.
    let row: Option<LiveRow> = sqlx::query_as(
        "SELECT s.id_hash, s.holder_id, s.data, s.created_at, s.seen_at, s.expires_at, \
           h.mobile, h.created_at AS holder_created_at, h.last_sign_in_at \
         FROM sessions s LEFT JOIN holders h ON h.id = s.holder_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.seen_at > $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let holder = match (&r.holder_id, r.mobile, r.holder_created_at) {
            (Some(id), Some(mobile), Some(created_at)) => Some(HolderRow {
                id: id.clone(),
                mobile,
                created_at,
                last_sign_in_at: r.last_sign_in_at,
            }),
            _ => None,
        };
        (
            SessionRow {
                id_hash: r.id_hash,
                holder_id: r.holder_id,
                data: r.data,
                created_at: r.created_at,
                seen_at: r.seen_at,
                expires_at: r.expires_at,
            },
            holder,
        )
    }))
}

#[derive(sqlx::FromRow)]
struct LiveRow {
    id_hash: String,
    holder_id: Option<String>,
    data: String,
    created_at: i64,
    seen_at: i64,
    expires_at: i64,
    mobile: Option<String>,
    holder_created_at: Option<i64>,
    last_sign_in_at: Option<i64>,
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
