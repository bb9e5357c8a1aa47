//! The OCSP responder: answers from the CA database, signed by the delegated
//! OCSP signer, cached per certificate until a revocation (seen locally or by the
//! watcher) evicts it or it ages past `ocsp_cache_ttl`.

use pki::PkiError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use bytes::Bytes;
use der::Encode;
use domain::{RevocationReason, Serial};
use store::certificates;

use super::Authority;
use crate::ocsp::{self, CertStatus, ResponseStatus};
use crate::{CaError, KeyAlgorithm};

/// The DER to send and what it said (for metrics and logs).
#[derive(Debug, Clone)]
pub struct OcspAnswer {
    pub der: Bytes,
    pub outcome: &'static str,
}

struct Cached {
    cert_id_der: Vec<u8>,
    response: Bytes,
    produced_at_ms: i64,
    outcome: &'static str,
}

/// Signed answers by serial. Bounded: when full it is emptied, which costs one
/// signature per certificate asked about next — cheap next to unbounded memory.
pub struct OcspCache {
    map: RwLock<HashMap<Vec<u8>, Vec<Cached>>>,
    capacity: usize,
    /// Bumped on every eviction, so an answer computed across an eviction is not
    /// cached.
    generation: AtomicU64,
}

impl OcspCache {
    pub fn new(capacity: usize) -> Self {
        OcspCache {
            map: RwLock::new(HashMap::new()),
            capacity,
            generation: AtomicU64::new(0),
        }
    }

    fn get(
        &self,
        serial: &[u8],
        cert_id_der: &[u8],
        fresh_after_ms: i64,
    ) -> Option<(Bytes, &'static str)> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.get(serial)?
            .iter()
            .find(|c| c.cert_id_der == cert_id_der && c.produced_at_ms > fresh_after_ms)
            .map(|c| (c.response.clone(), c.outcome))
    }

    fn put(&self, serial: Vec<u8>, entry: Cached, generation: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if map.len() >= self.capacity {
            map.clear();
        }
        let list = map.entry(serial).or_default();
        list.retain(|c| c.cert_id_der != entry.cert_id_der);
        list.push(entry);
    }

    pub fn evict(&self, serial: &[u8]) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.remove(serial);
    }

    pub fn clear(&self) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    pub fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn error(status: ResponseStatus, outcome: &'static str) -> OcspAnswer {
    metrics::counter!("certhall_ocsp_requests_total", "status" => outcome).increment(1);
    OcspAnswer {
        der: Bytes::from(ocsp::error_response(status)),
        outcome,
    }
}

impl Authority {
    /// Answers one DER OCSPRequest. Never fails: problems become OCSP error
    /// statuses (malformedRequest, unauthorized, internalError).
    pub async fn ocsp(&self, request: &[u8]) -> OcspAnswer {
        let Some(req) = ocsp::parse_request(request) else {
            return error(ResponseStatus::MalformedRequest, "malformed");
        };
        if !req.cert_ids.iter().all(|id| self.issuer.hashes.matches(id)) {
            return error(ResponseStatus::Unauthorized, "unauthorized");
        }
        match self.answer(req).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "OCSP answer failed");
                error(ResponseStatus::InternalError, "internal")
            }
        }
    }

    async fn answer(&self, req: ocsp::ParsedRequest) -> Result<OcspAnswer, CaError> {
        let now = self.clock.now_ms();
        let ttl_ms = i64::try_from(self.settings.ocsp_cache_ttl.as_millis()).unwrap_or(i64::MAX);
        let cacheable = req.nonce.is_none() && req.cert_ids.len() == 1;
        let first_id_der = req.cert_ids[0].to_der()?;
        let first_serial = Serial::from_der_integer(req.cert_ids[0].serial_number.as_bytes()).ok();
        if cacheable
            && let Some(serial) = &first_serial
            && let Some((der, outcome)) =
                self.ocsp_cache
                    .get(serial.magnitude(), &first_id_der, now - ttl_ms)
        {
            metrics::counter!("certhall_ocsp_requests_total", "status" => outcome).increment(1);
            return Ok(OcspAnswer { der, outcome });
        }

        let generation = self.ocsp_cache.generation.load(Ordering::SeqCst);
        let mut statuses = Vec::with_capacity(req.cert_ids.len());
        {
            let mut conn = self.db.conn().await?;
            for id in &req.cert_ids {
                let status = match Serial::from_der_integer(id.serial_number.as_bytes()) {
                    Err(_) => CertStatus::Unknown,
                    Ok(serial) => {
                        match certificates::revocation_status(
                            &mut conn,
                            &serial.to_hex(),
                            &self.issuer.id,
                        )
                        .await?
                        {
                            None => CertStatus::Unknown,
                            Some(s) if s.issued == 0 => CertStatus::Unknown,
                            Some(s) => match s.revoked_at {
                                Some(at_ms) => CertStatus::Revoked {
                                    at_ms,
                                    reason: s
                                        .revocation_reason
                                        .and_then(|r| u8::try_from(r).ok())
                                        .and_then(RevocationReason::from_code)
                                        .map(RevocationReason::code),
                                },
                                None => CertStatus::Good,
                            },
                        }
                    }
                };
                statuses.push(status);
            }
        }

        let validity_ms =
            i64::try_from(self.settings.ocsp_validity.as_millis()).unwrap_or(i64::MAX);
        let singles = req
            .cert_ids
            .iter()
            .zip(&statuses)
            .map(|(id, st)| ocsp::encode_single(id, *st, now, now + validity_ms))
            .collect::<Result<Vec<Vec<u8>>, _>>()?;
        let responder = self.ocsp_signer();
        let data =
            ocsp::encode_response_data(&responder.key_id, now, &singles, req.nonce.as_ref())?;
        let signer = responder.signer.clone();
        let alg: KeyAlgorithm = signer.algorithm();
        let signature = tokio::task::spawn_blocking(move || signer.sign(&data).map(|s| (data, s)))
            .await
            .map_err(|_| PkiError::Signing)??;
        let der = Bytes::from(ocsp::encode_success(
            &signature.0,
            &alg.signature_algorithm_der(),
            &signature.1,
            &responder.cert_der,
        ));
        for st in &statuses {
            metrics::counter!("certhall_ocsp_requests_total", "status" => st.label()).increment(1);
        }
        let outcome = statuses[0].label();
        if cacheable
            && statuses[0] != CertStatus::Unknown
            && let Some(serial) = first_serial
        {
            self.ocsp_cache.put(
                serial.magnitude().to_vec(),
                Cached {
                    cert_id_der: first_id_der,
                    response: der.clone(),
                    produced_at_ms: now,
                    outcome,
                },
                generation,
            );
        }
        Ok(OcspAnswer { der, outcome })
    }
}
