//! The payment centre's background work, on every instance (each step is a
//! compare-and-set, so instances never do the same thing twice):
//! - expire open orders past their time, asking the gateway first;
//! - ask the gateway about orders whose notify has not come;
//! - retry the gateway refunds that are due;
//! - issue invoices a crash left unissued, and mail those whose mail is due.

use std::sync::Arc;
use std::time::Duration;

use store::orders;

use crate::{Ra, ms};

/// The first retry of an item a job could not finish (a refund the gateway
/// refused, a mail the server did not take); each further one waits twice as
/// long, up to `MAX_DELAY`, so one stuck item costs little and never blocks
/// the others.
const FIRST_DELAY: Duration = Duration::from_secs(10);
const MAX_DELAY: Duration = Duration::from_secs(3600);

/// When to try again after `attempts` failed tries.
pub(crate) fn retry_delay(attempts: i64) -> Duration {
    let shift = attempts.clamp(0, 20) as u32;
    FIRST_DELAY.saturating_mul(1u32 << shift).min(MAX_DELAY)
}

pub fn spawn_jobs(ra: Arc<Ra>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            ra.run_payment_jobs().await;
        }
    })
}

impl Ra {
    /// One pass of every payment job.
    pub async fn run_payment_jobs(&self) {
        let now = self.now_ms();
        let (due, waiting) = match self.db.conn().await {
            Ok(mut c) => (
                orders::due_to_expire(&mut c, now, 100)
                    .await
                    .unwrap_or_default(),
                orders::awaiting_notify(&mut c, now - ms(self.pay.poll_after), 100)
                    .await
                    .unwrap_or_default(),
            ),
            Err(_) => return,
        };
        for o in due {
            // A payment may have happened without its notify reaching us.
            if matches!(self.confirm_with_gateway(&o).await, Ok(Some(_))) {
                continue;
            }
            if let Ok(mut c) = self.db.conn().await
                && orders::close(&mut c, &o.id, domain::OrderState::Expired, now)
                    .await
                    .unwrap_or(false)
            {
                tracing::info!(order.id = %o.id, "order expired unpaid");
            }
        }
        for o in waiting {
            if o.expires_at > now {
                let _ = self.confirm_with_gateway(&o).await;
            }
        }
        self.retry_refunds().await;
        self.issue_missing_invoices().await;
        self.mail_unsent_invoices().await;
    }

    async fn issue_missing_invoices(&self) {
        let rows = match self.db.conn().await {
            Ok(mut c) => store::invoices::paid_without_invoice(&mut c, 20)
                .await
                .unwrap_or_default(),
            Err(_) => return,
        };
        for (id,) in rows {
            if let Err(e) = self.issue_invoice(&id).await {
                tracing::warn!(order.id = %id, error = ?e, "invoice still not issued");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::from_secs(10));
        assert_eq!(retry_delay(1), Duration::from_secs(20));
        assert_eq!(retry_delay(5), Duration::from_secs(320));
        assert_eq!(retry_delay(9), MAX_DELAY);
        assert_eq!(retry_delay(1000), MAX_DELAY);
    }
}
