//! Sliding-window limits over the `rate_events` table, shared by all instances.
//!
//! Checking and counting are one step (`take`), in a transaction serialised
//! per bucket: of a hundred requests arriving at once, exactly as many pass as
//! the limit allows.

use store::Db;

use crate::RaError;

/// One limit: at most `max` events in `window_ms` for a bucket.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// Counts one event in every bucket named in `checks`, unless one of the
/// limits is already reached: then fails with `RateLimited` and counts
/// nothing.
pub async fn take(db: &Db, now: i64, checks: &[(&str, Limit)]) -> Result<(), RaError> {
    let mut buckets: Vec<&str> = checks.iter().map(|(b, _)| *b).collect();
    buckets.sort_unstable();
    buckets.dedup();
    let mut tx = db.begin_keyed(&buckets).await?;
    for (bucket, limit) in checks {
        let n = store::rate::count(&mut tx, bucket, now - limit.window_ms).await?;
        if n >= limit.max {
            return Err(RaError::RateLimited {
                retry_after_secs: (limit.window_ms / 1000).max(1) as u64,
            });
        }
    }
    for bucket in buckets {
        store::rate::record(&mut tx, bucket, now).await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}
