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

/// The keys whose PIN resets go to `mobile` (the holder's own keys, for
/// 个人中心).
pub async fn for_mobile(
    conn: &mut AnyConnection,
    mobile: &str,
) -> Result<Vec<EscrowRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token_serial, mobile, sealed_so_pin, created_at, created_by, released_at \
         FROM token_escrow WHERE mobile = $1 ORDER BY created_at, token_serial",
    )
    .bind(mobile)
    .fetch_all(conn)
    .await?)
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnlockRequestRow {
    pub id: String,
    pub token_serial: String,
    #[sqlx(try_from = "String")]
    pub state: domain::UnlockState,
    pub created_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
}

const REQUEST_COLUMNS: &str = "id, token_serial, state, created_at, decided_by, decided_at, reason";

pub async fn insert_request(
    conn: &mut AnyConnection,
    r: &UnlockRequestRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO unlock_requests (id, token_serial, state, created_at, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(&r.token_serial)
    .bind(r.state.key())
    .bind(r.created_at)
    .bind(&r.decided_by)
    .bind(r.decided_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest request for a key.
pub async fn latest_request(
    conn: &mut AnyConnection,
    token_serial: &str,
) -> Result<Option<UnlockRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM unlock_requests WHERE token_serial = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(token_serial)
        .fetch_optional(conn)
        .await?)
}

pub async fn pending_requests(
    conn: &mut AnyConnection,
) -> Result<Vec<UnlockRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM unlock_requests WHERE state = 'PENDING' ORDER BY created_at"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?)
}

/// `from` → `to`, once (false if it was no longer `from`).
pub async fn move_request(
    conn: &mut AnyConnection,
    id: &str,
    from: domain::UnlockState,
    to: domain::UnlockState,
    by: Option<&str>,
    at: i64,
    reason: Option<&str>,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE unlock_requests SET state = $3, decided_by = COALESCE($4, decided_by), \
         decided_at = COALESCE(decided_at, $5), reason = COALESCE($6, reason) WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.key())
    .bind(to.key())
    .bind(by)
    .bind(at)
    .bind(reason)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn latest_request_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<UnlockRequestRow>, StoreError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM unlock_requests WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}
