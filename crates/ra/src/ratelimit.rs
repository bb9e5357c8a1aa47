//! Sliding-window limits over the `rate_events` table, shared by all instances.

use store::Db;

use crate::RaError;

/// One limit: at most `max` events in `window_ms` for a bucket.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// Fails with `RateLimited` if any of the limits is already reached.
pub async fn check(db: &Db, now: i64, checks: &[(&str, Limit)]) -> Result<(), RaError> {
    let mut conn = db.conn().await?;
    for (bucket, limit) in checks {
        let n = store::rate::count(&mut conn, bucket, now - limit.window_ms).await?;
        if n >= limit.max {
            return Err(RaError::RateLimited {
                retry_after_secs: (limit.window_ms / 1000).max(1) as u64,
            });
        }
    }
    Ok(())
}

pub async fn record(db: &Db, now: i64, buckets: &[&str]) -> Result<(), RaError> {
    let mut conn = db.conn().await?;
    for b in buckets {
        store::rate::record(&mut conn, b, now).await?;
    }
    Ok(())
}
