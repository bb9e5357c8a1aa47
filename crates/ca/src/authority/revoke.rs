//! Revocation: one transaction takes the next revocation sequence number, marks
//! the certificate and appends the audit entry. Every process watching the
//! sequence (`watch`) then drops its cached OCSP answers and publishes a new CRL.

use domain::{RevocationReason, Serial};
use serde_json::json;
use store::{audit, certificates, counters, pairs};

use super::Authority;
use crate::CaError;

impl Authority {
    pub async fn revoke(
        &self,
        serial: &Serial,
        reason: RevocationReason,
        actor: &str,
    ) -> Result<i64, CaError> {
        let hex = serial.to_hex();
        let now = self.clock.now_ms();
        let mut tx = self.db.begin().await?;
        let seq = counters::next(&mut tx, counters::REVOCATION_SEQ).await?;
        let Some(row) =
            certificates::revoke(&mut tx, &hex, now, i64::from(reason.code()), seq).await?
        else {
            drop(tx);
            let mut conn = self.db.conn().await?;
            return Err(match certificates::by_serial(&mut conn, &hex).await? {
                None => CaError::UnknownCertificate(hex),
                Some(r) if r.revoked_at.is_some() => CaError::AlreadyRevoked { serial: hex },
                Some(_) => CaError::NotIssued { serial: hex },
            });
        };
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor,
                action: "certificate.revoke",
                object: &hex,
                details: json!({
                    "reason": reason.name(),
                    "subject": row.common_name,
                    "revocation_seq": seq,
                }),
            },
        )
        .await?;
        // A pair is revoked whole: the signing certificate and the encryption
        // one, in the same transaction (GM/T 0034 §6.4).
        let partner = match pairs::by_signing(&mut tx, &hex).await? {
            Some(pair) => Some(pair.encryption_serial),
            None => pairs::by_encryption(&mut tx, &hex)
                .await?
                .map(|p| p.signing_serial),
        };
        let mut partner_revoked = None;
        if let Some(partner) = partner {
            let seq = counters::next(&mut tx, counters::REVOCATION_SEQ).await?;
            if certificates::revoke(&mut tx, &partner, now, i64::from(reason.code()), seq)
                .await?
                .is_some()
            {
                audit::append(
                    &mut tx,
                    self.db.audit_key()?,
                    now,
                    &audit::Event {
                        actor,
                        action: "certificate.revoke",
                        object: &partner,
                        details: json!({
                            "reason": reason.name(),
                            "subject": row.common_name,
                            "revocation_seq": seq,
                            "pair_of": hex,
                        }),
                    },
                )
                .await?;
                partner_revoked = Some(partner);
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        self.ocsp_cache.evict(serial.magnitude());
        if let Some(partner) = partner_revoked
            && let Ok(partner) = Serial::parse(&partner)
        {
            self.ocsp_cache.evict(partner.magnitude());
            tracing::info!(cert.serial = %partner.to_hex(), pair_of = %hex, "revoked the other certificate of the pair");
            self.kmc_revocations_wanted();
        }
        self.crl_wanted.notify_one();
        metrics::counter!("certhall_certificates_revoked_total", "reason" => reason.name())
            .increment(1);
        tracing::info!(cert.serial = %hex, revocation.reason = reason.name(), actor, "revoked certificate");
        Ok(seq)
    }
}
