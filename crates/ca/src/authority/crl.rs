//! Publishing CRLs. One publisher at a time across all processes (the CRL-number
//! lock); a new CRL is made only when revocations happened since the last one or
//! the last one is due for refresh, so N server instances reacting to the same
//! revocation still publish one CRL.

use pki::PkiError;
use std::sync::{Arc, PoisonError};

use bytes::Bytes;
use serde_json::json;
use store::crls::{self, CrlRow, NewCrl};
use store::{Lock, audit, certificates, counters};

use super::Authority;
use crate::CaError;
use crate::crl::{self as encode, CrlBuilder, CrlEntry, CrlTemplate};

#[derive(Debug, Clone)]
pub struct PublishedCrl {
    pub number: i64,
    pub der: Bytes,
    pub this_update_ms: i64,
    pub next_update_ms: i64,
    pub revocation_seq: i64,
}

impl From<CrlRow> for PublishedCrl {
    fn from(r: CrlRow) -> Self {
        PublishedCrl {
            number: r.number,
            der: Bytes::from(r.der),
            this_update_ms: r.this_update,
            next_update_ms: r.next_update,
            revocation_seq: r.revocation_seq,
        }
    }
}

impl Authority {
    /// The CRL to serve: the newest published, publishing one if there is none.
    pub async fn current_crl(&self) -> Result<Arc<PublishedCrl>, CaError> {
        let seen = self
            .revocation_seen
            .load(std::sync::atomic::Ordering::SeqCst);
        if let Some(crl) = self.cached_crl()
            && crl.revocation_seq >= seen
        {
            return Ok(crl);
        }
        // We know of a revocation our CRL does not cover (OCSP already says so):
        // take a newer CRL from the database, or publish one.
        self.reload_crl().await?;
        if let Some(crl) = self.cached_crl()
            && crl.revocation_seq >= seen
        {
            return Ok(crl);
        }
        self.publish_crl(false, "system").await
    }

    pub(crate) fn cached_crl(&self) -> Option<Arc<PublishedCrl>> {
        self.crl
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn cache_crl(&self, crl: Arc<PublishedCrl>) {
        let mut slot = self.crl.write().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_none_or(|c| c.number < crl.number) {
            *slot = Some(crl);
        }
    }

    /// Loads the newest CRL from the database if it is newer than ours (another
    /// process published it).
    pub(crate) async fn reload_crl(&self) -> Result<(), CaError> {
        let mut conn = self.db.conn().await?;
        let Some(meta) = crls::latest_meta(&mut conn, &self.issuer.id).await? else {
            return Ok(());
        };
        if self.cached_crl().is_some_and(|c| c.number >= meta.number) {
            return Ok(());
        }
        let row = crls::by_number(&mut conn, meta.number).await?;
        self.cache_crl(Arc::new(row.into()));
        Ok(())
    }

    /// Publishes a CRL if one is due; `force` publishes regardless.
    pub async fn publish_crl(
        &self,
        force: bool,
        actor: &str,
    ) -> Result<Arc<PublishedCrl>, CaError> {
        let mut tx = self.db.begin_locked(Lock::CrlNumber).await?;
        let now = self.clock.now_ms();
        let seq = counters::current(&mut tx, counters::REVOCATION_SEQ).await?;
        let refresh_ms = i64::try_from(self.settings.crl_refresh.as_millis()).unwrap_or(i64::MAX);
        if let Some(meta) = crls::latest_meta(&mut tx, &self.issuer.id).await?
            && !force
            && meta.revocation_seq >= seq
            && now - meta.this_update < refresh_ms
        {
            let row = crls::by_number(&mut tx, meta.number).await?;
            drop(tx);
            let crl = Arc::new(PublishedCrl::from(row));
            self.cache_crl(crl.clone());
            return Ok(crl);
        }
        let number = counters::next(&mut tx, counters::CRL_NUMBER).await?;
        let validity_ms = i64::try_from(self.settings.crl_validity.as_millis()).unwrap_or(i64::MAX);
        let next_update = now + validity_ms;
        let expected = self.cached_crl().map_or(1024, |c| c.der.len() / 44);
        let mut builder = CrlBuilder::new(
            &CrlTemplate {
                signature_algorithm_der: &self.issuer.algorithm.signature_algorithm_der(),
                issuer_name_der: &self.issuer.name_der,
                issuer_key_id: &self.issuer.key_id,
                number,
                this_update_ms: now,
                next_update_ms: next_update,
            },
            expected,
        );
        // Entries go into the CRL as the rows arrive (a few hundred
        // nanoseconds each); only the signature is blocking work.
        let mut serial_buf = [0u8; 21];
        let mut bad_serials = 0;
        certificates::each_revoked_unexpired(
            &mut tx,
            &self.issuer.id,
            now,
            |serial, at, reason| match encode::serial_integer(serial, &mut serial_buf) {
                Some(integer) => builder.push(CrlEntry {
                    serial_der_integer: integer,
                    revoked_at_ms: at,
                    reason: u8::try_from(reason).unwrap_or(0),
                }),
                None => bad_serials += 1,
            },
        )
        .await?;
        if bad_serials > 0 {
            tracing::error!(
                count = bad_serials,
                "revoked certificates with unreadable serials left out of the CRL"
            );
        }
        let entries = builder.entries();
        let signer = self.issuer.signer.clone();
        let (buf, start) =
            tokio::task::spawn_blocking(move || builder.finish(|tbs| signer.sign(tbs)))
                .await
                .map_err(|_| PkiError::Signing)??;
        let der = Bytes::from(buf).slice(start..);

        crls::insert(
            &mut tx,
            &NewCrl {
                number,
                issuer_id: &self.issuer.id,
                this_update: now,
                next_update,
                revocation_seq: seq,
                entries: i64::try_from(entries).unwrap_or(i64::MAX),
                der: &der,
                created_at: now,
            },
        )
        .await?;
        audit::append(
            &mut tx, self.db.audit_key()?,
            now,
            &audit::Event {
                actor,
                action: "crl.publish",
                object: &number.to_string(),
                details: json!({ "entries": entries, "revocation_seq": seq, "next_update": next_update }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(crl.number = number, crl.entries = entries, "published CRL");
        let crl = Arc::new(PublishedCrl {
            number,
            der,
            this_update_ms: now,
            next_update_ms: next_update,
            revocation_seq: seq,
        });
        self.cache_crl(crl.clone());
        Ok(crl)
    }
}
