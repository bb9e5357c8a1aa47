//! Sending SMS. A provider implements `SmsSender`; without one, messages go to an
//! outbox file, one line each, for development and tests.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use domain::Mobile;

use crate::RaError;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), RaError>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a Mobile, text: &'a str) -> SendFuture<'a>;
}

/// Appends `time<TAB>number<TAB>text` to `<data-dir>/outbox/sms.log`.
pub struct OutboxSms {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl OutboxSms {
    pub fn new(path: PathBuf) -> Self {
        OutboxSms {
            path,
            lock: tokio::sync::Mutex::new(()),
        }
    }
}

impl SmsSender for OutboxSms {
    fn send<'a>(&'a self, to: &'a Mobile, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let line = format!(
                "{}\t{}\t{}\n",
                ca::asn1time::rfc3339(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis() as i64)
                        .unwrap_or(0)
                ),
                to.as_str(),
                text.replace(['\n', '\t'], " ")
            );
            let _guard = self.lock.lock().await;
            let path = self.path.clone();
            // A plain blocking append, finished before we answer: whoever reads the
            // outbox next sees the line.
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                f.write_all(line.as_bytes())?;
                f.sync_data()
            })
            .await
            .map_err(|e| RaError::SmsFailed(std::io::Error::other(e)))?
            .map_err(RaError::SmsFailed)?;
            tracing::info!(sms.to = %to, "wrote SMS to the outbox");
            Ok(())
        })
    }
}
