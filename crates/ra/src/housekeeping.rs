//! Housekeeping: rows that only matter for a while (browser and staff
//! sessions, rate-limit events, used hand-off challenges and links, SMS
//! codes, replaced uploads an earlier version kept) are deleted once they can no longer matter, so nobody can make the
//! database grow by asking for them. Runs on every instance; each delete is
//! idempotent.

use std::sync::Arc;
use std::time::Duration;

use crate::{Ra, RaError};

const HOUR: i64 = 3_600_000;
/// Rate-limit windows are an hour at most; keep a day of events.
const RATE_EVENTS_KEPT: i64 = 24 * HOUR;
/// Used challenges and spent links a little past their expiry.
const HANDOFF_KEPT: i64 = HOUR;
/// Expired SMS codes: a day, for the odd support question.
const SMS_CODES_KEPT: i64 = 24 * HOUR;

pub fn spawn_housekeeping(ra: Arc<Ra>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match ra.housekeep().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "housekeeping deleted expired rows"),
                Err(e) => tracing::warn!(error = ?e, "housekeeping failed; next round retries"),
            }
        }
    })
}

impl Ra {
    /// One round of housekeeping; returns how many rows went.
    pub async fn housekeep(&self) -> Result<u64, RaError> {
        let now = self.now_ms();
        let mut conn = self.db.conn().await?;
        let mut n = store::sessions::prune(&mut conn, now).await?;
        n += store::staff::prune_sessions(&mut conn, now).await?;
        n += store::rate::prune(&mut conn, now - RATE_EVENTS_KEPT).await?;
        n += store::handoff::prune(&mut conn, now - HANDOFF_KEPT).await?;
        n += store::sms::prune(&mut conn, now - SMS_CODES_KEPT).await?;
        // Replaced uploads an earlier version kept.
        let replaced = store::materials::purge_replaced(&mut conn, 100).await?;
        drop(conn);
        self.delete_blobs(&replaced).await;
        Ok(n + replaced.len() as u64)
    }
}
