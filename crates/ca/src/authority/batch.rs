//! Group commit for issuance. Concurrent requests are issued together: one
//! transaction records every waiting certificate (before anything is
//! signed, as for one), then they are signed, then one transaction stores
//! them with their audit records. A busy day costs two commits per batch
//! instead of two per certificate; a quiet one still gets a batch of one
//! at once.
//!
//! A batch whose recording hits a duplicate (a retry racing its original,
//! or a serial collision) is handed back, and each of its requests goes the
//! one-at-a-time way, which sorts those out.

use pki::PkiError;
use std::sync::Arc;

use domain::{Clock, Serial};
use store::certificates::{self, NewCertificate};
use store::{Db, StoreError};
use tokio::sync::{mpsc, oneshot};

use super::issued::{Issued, audit_issue};
use crate::signer::Signer;
use crate::{CaError, derw};

/// The most certificates in one batch.
const MAX_BATCH: usize = 64;

/// What became of a request sent to the batch.
pub(crate) enum Outcome {
    Issued(Issued),
    /// The batch could not take it (a duplicate among the rows, or a
    /// failure): issue this one alone, which finds and finishes a row the
    /// batch recorded.
    Alone,
}

struct Job {
    new: NewCertificate,
    actor: String,
    reply: oneshot::Sender<Result<Outcome, CaError>>,
}

/// The handle requests are sent through; the worker lives as long as it.
pub(crate) struct Batcher {
    jobs: mpsc::Sender<Job>,
}

struct Worker {
    db: Db,
    signer: Arc<dyn Signer>,
    alg_der: Vec<u8>,
    clock: Arc<dyn Clock>,
}

impl Batcher {
    pub(crate) fn spawn(
        db: Db,
        signer: Arc<dyn Signer>,
        alg_der: Vec<u8>,
        clock: Arc<dyn Clock>,
    ) -> Batcher {
        let (jobs, mut rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        let worker = Worker {
            db,
            signer,
            alg_der,
            clock,
        };
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                worker.run(std::mem::take(&mut batch)).await;
            }
        });
        Batcher { jobs }
    }

    /// Records, signs and stores `new` with others waiting at the same time.
    pub(crate) async fn issue(&self, new: NewCertificate, actor: &str) -> Result<Outcome, CaError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                new,
                actor: actor.to_string(),
                reply,
            })
            .await
            .map_err(|_| PkiError::Signing)?;
        answer.await.map_err(|_| PkiError::Signing)?
    }
}

impl Worker {
    async fn run(&self, jobs: Vec<Job>) {
        metrics::histogram!("certhall_issuance_batch_size").record(jobs.len() as f64);
        let outcome = match self.record(&jobs).await {
            Ok(true) => self.sign_and_store(&jobs).await.map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Some(issued)) => {
                for (job, issued) in jobs.into_iter().zip(issued) {
                    let _ = job.reply.send(Ok(Outcome::Issued(issued)));
                }
            }
            failed => {
                if let Err(e) = failed {
                    // Rows already recorded stay pending, and the request's
                    // own retry below finds and completes them.
                    tracing::warn!(error = %e, batch = jobs.len(), "batch issuance failed; issuing one by one");
                }
                for job in jobs {
                    let _ = job.reply.send(Ok(Outcome::Alone));
                }
            }
        }
    }

    /// One transaction for every row; `false` if one was a duplicate.
    ///
    /// Rows go in in request-id order: two batches (of two instances) that
    /// both hold a request sent twice then wait for each other's unique-index
    /// entries in the same order, never in a circle.
    async fn record(&self, jobs: &[Job]) -> Result<bool, CaError> {
        let mut sorted: Vec<&Job> = jobs.iter().collect();
        sorted.sort_by(|a, b| a.new.request_id.cmp(&b.new.request_id));
        let mut tx = self.db.begin().await?;
        for job in sorted {
            match certificates::insert_pending(&mut tx, &job.new).await {
                Ok(()) => {}
                Err(StoreError::Duplicate(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(true)
    }

    async fn sign_and_store(&self, jobs: &[Job]) -> Result<Vec<Issued>, CaError> {
        let tbs: Vec<Vec<u8>> = jobs.iter().map(|j| j.new.tbs_der.clone()).collect();
        let signer = self.signer.clone();
        let alg_der = self.alg_der.clone();
        let certs = tokio::task::spawn_blocking(move || {
            tbs.iter()
                .map(|tbs| Ok(derw::signed(tbs, &alg_der, &signer.sign(tbs)?)))
                .collect::<Result<Vec<_>, CaError>>()
        })
        .await
        .map_err(|_| PkiError::Signing)??;

        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        // Every row first (in serial order), the audit head last: the
        // one-at-a-time path takes its row, then the head, so nobody holds
        // the head while waiting for a row (a deadlock on PostgreSQL).
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by(|&a, &b| jobs[a].new.serial.cmp(&jobs[b].new.serial));
        for &i in &order {
            // Recorded by this batch: another path completes it only when a
            // retry of the request finds it pending; then this batch fails and
            // its requests go the one-at-a-time way, which finds them issued.
            certificates::mark_issued(&mut tx, &jobs[i].new.serial, &certs[i], now)
                .await?
                .ok_or(PkiError::Signing)?;
        }
        let mut issued = Vec::with_capacity(jobs.len());
        for (job, cert_der) in jobs.iter().zip(certs) {
            let new = &job.new;
            audit_issue(
                &mut tx,
                self.db.audit_key()?,
                now,
                &job.actor,
                &new.serial,
                &new.profile,
                &new.common_name,
                &new.request_id,
                new.not_after,
            )
            .await?;
            issued.push(Issued {
                serial: Serial::parse(&new.serial).map_err(PkiError::Subject)?,
                cert_der,
                replayed: false,
                encryption: None,
            });
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }
}
