//! The CA's side of GM/T 0014: asking its KMC for a holder's encryption key
//! pair, for an earlier one back, or to revoke one. Requests are signed with
//! the issuing CA's own SM2 key (the KMC is configured with the issuing
//! certificate); answers must name and be signed by the KMC certificate this
//! CA issued and was configured with.

use std::time::Duration;

use der::{Decode, Encode};
use pki::PkiError;
use pki::gmt0014::{self, CaRequest, EntName, KmRespond, KsRequest, Request, Respond};
use x509_cert::Certificate;

use crate::CaError;
use crate::signer::Signer;

/// How long one call may take: the KMC makes a key pair and signs; seconds
/// mean it is in trouble, and the issuance is tried again later.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Where the KMC is and who it is.
pub struct KmcLink {
    url: String,
    kmc_cert: Certificate,
    http: reqwest::Client,
}

impl std::fmt::Debug for KmcLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmcLink")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl KmcLink {
    /// The KMC at `url` (its `/kmc/v1/tasks`), answering with `kmc_cert_der`.
    pub fn new(url: &str, kmc_cert_der: &[u8]) -> Result<Self, CaError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| CaError::Kmc(format!("cannot make an HTTP client: {e}")))?;
        Ok(KmcLink {
            url: url.to_string(),
            kmc_cert: Certificate::from_der(kmc_cert_der).map_err(PkiError::from)?,
            http,
        })
    }

    /// Sends one task and returns its answers, one per request, checked to
    /// be the KMC's and about this task. A refusal of the whole request, the
    /// KMC down or an answer that does not verify is an error.
    pub async fn call(
        &self,
        ca_cert_der: &[u8],
        signer: &dyn Signer,
        task_no: u64,
        now_ms: i64,
        requests: Vec<Request>,
    ) -> Result<Vec<Respond>, CaError> {
        let expected = requests.len();
        let ks = KsRequest {
            version: gmt0014::int(u64::from(gmt0014::VERSION))?,
            ca_name: EntName::of_certificate(ca_cert_der)?,
            request_list: requests,
            request_time: gmt0014::time(now_ms)?,
            task_no: gmt0014::int(task_no)?,
        };
        let body = CaRequest::sign(ks, signer)?
            .to_der()
            .map_err(PkiError::from)?;
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| CaError::Kmc(format!("the KMC at {} cannot be reached: {e}", self.url)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CaError::Kmc(format!("the KMC's answer broke off: {e}")))?;
        let answer = match KmRespond::read(&bytes) {
            Ok(answer) => answer,
            Err(_) => {
                return Err(CaError::Kmc(format!(
                    "the KMC answered {status}: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                )));
            }
        };
        answer
            .verify(&self.kmc_cert)
            .map_err(|e| CaError::Kmc(format!("the KMC's answer is refused: {e}")))?;
        let respond = answer.ks_respond;
        if gmt0014::int_value(&respond.task_no).ok() != Some(task_no) {
            if let [Respond::Error(e)] = respond.respond_list.as_slice() {
                return Err(CaError::Kmc(format!(
                    "the KMC refused the request: {}",
                    e.err_cause
                )));
            }
            return Err(CaError::Kmc("the KMC answered another task".into()));
        }
        if !status.is_success() {
            let cause = match respond.respond_list.as_slice() {
                [Respond::Error(e)] => e.err_cause.clone(),
                _ => status.to_string(),
            };
            return Err(CaError::Kmc(format!(
                "the KMC refused the request: {cause}"
            )));
        }
        if respond.respond_list.len() != expected {
            return Err(CaError::Kmc(format!(
                "the KMC answered {} requests of {expected}",
                respond.respond_list.len()
            )));
        }
        Ok(respond.respond_list)
    }
}
