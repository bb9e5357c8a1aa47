//! What the web layer shows to anyone, and the issuing API, through the RA:
//! the CA's certificates, CRL and OCSP answers, the public certificate
//! lookup (证书查询), the health probes, and issuing for an API client. The
//! web layer holds no `Authority` and runs no query of its own; these are the
//! doors it has.

use std::sync::Arc;

use ca::CaError;
use ca::authority::{IssueRequest, Issued, OcspAnswer, PublishedCrl};
use domain::{Perm, Serial, SubjectInfo};
use store::certificates::{self, CertificateRow};

use crate::staff::StaffMember;
use crate::{Ra, RaError};

/// What an API client asks to be issued.
#[derive(Debug, Clone)]
pub struct ApiIssue {
    /// The client's idempotency key (scoped to the client).
    pub request_id: String,
    pub csr: Vec<u8>,
    pub subject: SubjectInfo,
    pub years: u32,
    /// An end date `days` from now instead of `years`.
    pub days: Option<u32>,
}

impl Ra {
    pub fn root_der(&self) -> &[u8] {
        self.authority.root_der()
    }

    pub fn issuing_der(&self) -> &[u8] {
        self.authority.issuing_der()
    }

    pub fn chain_pem(&self) -> &str {
        self.authority.chain_pem()
    }

    /// The name of the CA's key algorithm (`p256`, `rsa`, `sm2`).
    pub fn algorithm_name(&self) -> &'static str {
        self.authority.algorithm().name()
    }

    pub async fn current_crl(&self) -> Result<Arc<PublishedCrl>, CaError> {
        self.authority.current_crl().await
    }

    /// The answer to a DER OCSP request (an error answer for a bad one).
    pub async fn ocsp(&self, request: &[u8]) -> OcspAnswer {
        self.authority.ocsp(request).await
    }

    /// An issued certificate by serial (证书查询, the JSON API).
    pub async fn issued_certificate(
        &self,
        serial: &Serial,
    ) -> Result<Option<CertificateRow>, RaError> {
        let row = certificates::by_serial(&mut *self.db.conn().await?, &serial.to_hex()).await?;
        Ok(row.filter(|r| r.state == certificates::STATE_ISSUED && r.cert_der.is_some()))
    }

    /// Issued 机构证书 whose organisation or name contains `q`.
    /// 双证书: the pair a certificate (hex serial) belongs to, either half.
    pub async fn pair_of(
        &self,
        serial_hex: &str,
    ) -> Result<Option<store::pairs::PairRow>, RaError> {
        let mut conn = self.db.conn().await?;
        Ok(
            match store::pairs::by_signing(&mut conn, serial_hex).await? {
                Some(p) => Some(p),
                None => store::pairs::by_encryption(&mut conn, serial_hex).await?,
            },
        )
    }

    pub async fn search_enterprise(
        &self,
        q: &str,
        limit: i64,
    ) -> Result<Vec<CertificateRow>, RaError> {
        Ok(certificates::search_enterprise(&mut *self.db.conn().await?, q, limit).await?)
    }

    /// The database answers (liveness).
    pub async fn ping(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    /// The database takes a write (readiness): a full disk or a read-only
    /// replica shows here.
    pub async fn write_probe(&self) -> Result<(), store::StoreError> {
        store::health::write_probe(&self.db, self.now_ms()).await
    }

    /// The API client presenting `bearer`, if its key works and may issue.
    pub async fn api_issuer(&self, bearer: &str) -> Result<StaffMember, RaError> {
        let who = crate::staff::api_keys::authenticate(&self.db, bearer).await?;
        who.require(Perm::Issue)?;
        Ok(who)
    }

    /// Issues for an API client: the request id is scoped to the client, the
    /// audit log names it. A retry with the same id answers the same
    /// certificate (`replayed`).
    pub async fn api_issue(&self, who: &StaffMember, req: ApiIssue) -> Result<Issued, CaError> {
        let not_after_ms = req.days.map(|d| self.now_ms() + i64::from(d) * 86_400_000);
        self.authority
            .issue(IssueRequest {
                request_id: format!("api:{}:{}", who.id, req.request_id),
                csr: req.csr,
                subject: req.subject,
                years: req.years,
                not_after_ms,
                actor: format!("api:{}", who.name),
                keep_encryption_of: None,
            })
            .await
    }
}
