//! Keeps a long-running process in step with the database: revocations made by
//! the CLI or by another instance evict cached OCSP answers and lead to a new CRL
//! within about a second; a CRL published elsewhere is picked up; CRLs and the
//! OCSP signer are refreshed on schedule.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use domain::Serial;
use store::{certificates, counters};
use tokio::task::JoinHandle;

use super::Authority;
use crate::CaError;

/// How often the database is polled. One cheap indexed query per tick.
const TICK: Duration = Duration::from_millis(1000);
/// Revocations arriving close together share one CRL.
const COALESCE: Duration = Duration::from_millis(200);
const SIGNER_CHECK_EVERY: u32 = 3600;

/// How often revoked pairs the KMC has not confirmed are sent again.
const KMC_RETRY: Duration = Duration::from_secs(60);

pub fn spawn_watcher(authority: Arc<Authority>) -> JoinHandle<()> {
    // The KMC's revocations on a task of their own: a KMC that is down must
    // not hold up CRLs and OCSP.
    let kmc = authority.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(KMC_RETRY) => {}
                _ = kmc.kmc_wanted.notified() => {}
            }
            match kmc.tell_kmc_revocations().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "the KMC confirmed revoked encryption keys"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not tell the KMC about revoked encryption keys; retrying")
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut ticks: u32 = 0;
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut want_crl = false;
            tokio::select! {
                _ = interval.tick() => {}
                _ = authority.crl_wanted.notified() => {
                    tokio::time::sleep(COALESCE).await;
                    want_crl = true;
                }
            }
            ticks = ticks.wrapping_add(1);
            match authority.catch_up().await {
                Ok(changed) => want_crl |= changed,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read revocations from the database")
                }
            }
            if let Err(e) = authority.reload_crl().await {
                tracing::warn!(error = %e, "could not load the newest CRL");
            }
            let due = authority.cached_crl().is_none_or(|c| {
                let refresh =
                    i64::try_from(authority.settings.crl_refresh.as_millis()).unwrap_or(i64::MAX);
                authority.now_ms() - c.this_update_ms >= refresh
                    || c.revocation_seq < authority.revocation_seen.load(Ordering::SeqCst)
            });
            if (want_crl || due)
                && let Err(e) = authority.publish_crl(false, "system").await
            {
                tracing::error!(error = %e, "could not publish a CRL");
            }
            if ticks.is_multiple_of(SIGNER_CHECK_EVERY)
                && let Err(e) = authority.ensure_ocsp_signer().await
            {
                tracing::error!(error = %e, "could not renew the OCSP signer");
            }
        }
    })
}

impl Authority {
    /// Applies revocations recorded since the last look. True if there were any.
    pub(crate) async fn catch_up(&self) -> Result<bool, CaError> {
        let seen = self.revocation_seen.load(Ordering::SeqCst);
        let mut conn = self.db.conn().await?;
        let current = counters::current(&mut conn, counters::REVOCATION_SEQ).await?;
        if current <= seen {
            return Ok(false);
        }
        let revoked = certificates::revoked_since(&mut conn, seen).await?;
        for (serial, _) in &revoked {
            if let Ok(s) = Serial::parse(serial) {
                self.ocsp_cache.evict(s.magnitude());
            }
        }
        let newest = revoked.iter().map(|(_, seq)| *seq).max().unwrap_or(seen);
        self.revocation_seen.fetch_max(newest, Ordering::SeqCst);
        Ok(true)
    }
}
