//! SO PINs of the USB keys the CA hands out, sealed (找回密码).

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscrowRow {
    pub token_serial: String,
    pub mobile: String,
    pub sealed_so_pin: Vec<u8>,
    pub created_at: i64,
    pub created_by: String,
    pub released_at: Option<i64>,
}

/// Records (or replaces, for a re-initialised key) a token's sealed SO PIN.
pub async fn put(conn: &mut AnyConnection, r: &EscrowRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO token_escrow (token_serial, mobile, sealed_so_pin, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_serial) DO UPDATE SET \
         mobile = excluded.mobile, sealed_so_pin = excluded.sealed_so_pin, \
         created_at = excluded.created_at, created_by = excluded.created_by, released_at = NULL",
    )
    .bind(&r.token_serial)
    .bind(&r.mobile)
    .bind(&r.sealed_so_pin)
    .bind(r.created_at)
    .bind(&r.created_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    token_serial: &str,
) -> Result<Option<EscrowRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token_serial, mobile, sealed_so_pin, created_at, created_by, released_at \
         FROM token_escrow WHERE token_serial = $1",
    )
    .bind(token_serial)
    .fetch_optional(conn)
    .await?)
}

pub async fn released(
    conn: &mut AnyConnection,
    token_serial: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE token_escrow SET released_at = $2 WHERE token_serial = $1")
        .bind(token_serial)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
