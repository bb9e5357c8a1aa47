//! CA staff accounts and their sessions. Passwords are argon2 hashes; the TOTP
//! secret is needed in the clear to compute codes; set-up links and session
//! cookies are stored as hashes of their tokens only.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub mobile: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: i64,
    pub setup_hash: Option<String>,
    pub setup_expires_at: Option<i64>,
    pub failed_count: i64,
    pub locked_until: i64,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "id, name, role, mobile, password_hash, totp_secret, totp_last_step, setup_hash, \
                       setup_expires_at, failed_count, locked_until, created_at, last_sign_in_at, disabled_at";

/// Adds an account waiting for its set-up. `Duplicate` if the name is taken.
pub async fn insert(conn: &mut AnyConnection, s: &StaffRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO staff ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&s.id)
        .bind(&s.name)
        .bind(&s.role)
        .bind(&s.mobile)
        .bind(&s.password_hash)
        .bind(&s.totp_secret)
        .bind(s.totp_last_step)
        .bind(&s.setup_hash)
        .bind(s.setup_expires_at)
        .bind(s.failed_count)
        .bind(s.locked_until)
        .bind(s.created_at)
        .bind(s.last_sign_in_at)
        .bind(s.disabled_at)
        .execute(conn)
        .await?;
    Ok(())
}

async fn one(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<StaffRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE {column} = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<StaffRow>, StoreError> {
    one(conn, "id", id).await
}

pub async fn by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<StaffRow>, StoreError> {
    one(conn, "name", name).await
}

pub async fn by_setup_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> Result<Option<StaffRow>, StoreError> {
    one(conn, "setup_hash", hash).await
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<StaffRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff ORDER BY name");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?)
}

/// Finishes set-up: password and TOTP secret set, link used up. False if the
/// link was used meanwhile.
pub async fn finish_setup(
    conn: &mut AnyConnection,
    id: &str,
    setup_hash: &str,
    password_hash: &str,
    totp_secret: &str,
    totp_step: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE staff SET password_hash = $3, totp_secret = $4, totp_last_step = $5, setup_hash = NULL, \
         setup_expires_at = NULL, failed_count = 0, locked_until = 0 \
         WHERE id = $1 AND setup_hash = $2",
    )
    .bind(id)
    .bind(setup_hash)
    .bind(password_hash)
    .bind(totp_secret)
    .bind(totp_step)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A new set-up link (a forgotten password or a lost phone): the old password
/// and TOTP secret stop working at once.
pub async fn reset(
    conn: &mut AnyConnection,
    id: &str,
    setup_hash: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE staff SET password_hash = NULL, totp_secret = NULL, setup_hash = $2, \
         setup_expires_at = $3, failed_count = 0, locked_until = 0 WHERE id = $1",
    )
    .bind(id)
    .bind(setup_hash)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts a failed sign-in; locks the account until `lock_until` once the
/// count reaches `limit`. Returns the new count.
pub async fn record_failure(
    conn: &mut AnyConnection,
    id: &str,
    limit: i64,
    lock_until: i64,
) -> Result<i64, StoreError> {
    let (count,): (i64,) = sqlx::query_as(
        "UPDATE staff SET failed_count = failed_count + 1, \
         locked_until = CASE WHEN failed_count + 1 >= $2 THEN $3 ELSE locked_until END \
         WHERE id = $1 RETURNING failed_count",
    )
    .bind(id)
    .bind(limit)
    .bind(lock_until)
    .fetch_one(conn)
    .await?;
    Ok(count)
}

/// A successful sign-in: takes the TOTP step (false if that code was already
/// used: a replay) and clears the failure count.
pub async fn signed_in(
    conn: &mut AnyConnection,
    id: &str,
    totp_step: i64,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE staff SET totp_last_step = $2, failed_count = 0, locked_until = 0, \
         last_sign_in_at = $3 WHERE id = $1 AND totp_last_step < $2",
    )
    .bind(id)
    .bind(totp_step)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn disable(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE staff SET disabled_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffSessionRow {
    pub id_hash: String,
    pub staff_id: String,
    pub created_at: i64,
    pub seen_at: i64,
    pub expires_at: i64,
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    s: &StaffSessionRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staff_sessions (id_hash, staff_id, created_at, seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id_hash)
    .bind(&s.staff_id)
    .bind(s.created_at)
    .bind(s.seen_at)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session of an enabled account: not expired, not idle since `idle_since`.
pub async fn live_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
    idle_since: i64,
) -> Result<Option<(StaffSessionRow, StaffRow)>, StoreError> {
    let session: Option<StaffSessionRow> = sqlx::query_as(
        "SELECT id_hash, staff_id, created_at, seen_at, expires_at FROM staff_sessions \
         WHERE id_hash = $1 AND expires_at > $2 AND seen_at > $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(session) = session else {
        return Ok(None);
    };
    Ok(by_id(conn, &session.staff_id)
        .await?
        .filter(|s| s.disabled_at.is_none() && s.password_hash.is_some())
        .map(|s| (session, s)))
}

pub async fn touch_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE staff_sessions SET seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM staff_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets staff sessions that ended before `now` (housekeeping).
pub async fn prune_sessions(conn: &mut AnyConnection, now: i64) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
