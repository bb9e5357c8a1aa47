//! Sliding-window rate limits kept in the database, so every instance counts the
//! same events.

use sqlx::AnyConnection;

use crate::StoreError;

/// Events in `bucket` since `since`.
pub async fn count(conn: &mut AnyConnection, bucket: &str, since: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at > $2")
            .bind(bucket)
            .bind(since)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

pub async fn record(conn: &mut AnyConnection, bucket: &str, at: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO rate_events (bucket, at) VALUES ($1, $2)")
        .bind(bucket)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets events older than `before` (housekeeping).
pub async fn prune(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM rate_events WHERE at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}
