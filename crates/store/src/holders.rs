//! Holders: accounts keyed by mobile number.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HolderRow {
    pub id: String,
    pub mobile: String,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// The holder with this mobile number, created on first sign-in.
pub async fn sign_in(
    conn: &mut AnyConnection,
    new_id: &str,
    mobile: &str,
    now: i64,
) -> Result<HolderRow, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO holders (id, mobile, created_at, last_sign_in_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (mobile) DO UPDATE SET last_sign_in_at = $3 \
         RETURNING id, mobile, created_at, last_sign_in_at",
    )
    .bind(new_id)
    .bind(mobile)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<HolderRow>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, mobile, created_at, last_sign_in_at FROM holders WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}
