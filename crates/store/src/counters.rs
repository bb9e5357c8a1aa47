//! Named monotonic counters (revocation sequence, CRL number).

use sqlx::AnyConnection;

use crate::StoreError;

pub const REVOCATION_SEQ: &str = "revocation_seq";
pub const CRL_NUMBER: &str = "crl_number";

/// Increments and returns the counter. The row stays locked until the transaction
/// ends, so numbers are handed out in commit order.
pub async fn next(conn: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    let (value,): (i64,) =
        sqlx::query_as("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
            .bind(name)
            .fetch_one(conn)
            .await?;
    Ok(value)
}

pub async fn current(conn: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    let (value,): (i64,) = sqlx::query_as("SELECT value FROM counters WHERE name = $1")
        .bind(name)
        .fetch_one(conn)
        .await?;
    Ok(value)
}
