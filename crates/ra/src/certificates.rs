//! Certificates in the back office: search, detail, revocation by staff. The
//! revocation itself is the CA's (`Authority::revoke`): audited, OCSP answers
//! evicted and a CRL published at once.

use domain::{Perm, RevocationReason, Serial};
use store::certificates::{self, AdminFilter, CertificateRow};

use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Default)]
pub struct CertFilter {
    pub serial: Option<String>,
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub status: Option<String>,
    pub page: i64,
}

impl Ra {
    pub async fn search_certificates(
        &self,
        who: &StaffMember,
        f: &CertFilter,
    ) -> Result<Vec<CertificateRow>, RaError> {
        who.require(Perm::ViewCertificates)?;
        // A serial as OpenSSL prints it (any case, with or without colons).
        let serial = match f.serial.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                Serial::parse(s)
                    .map_err(|_| RaError::Invalid(Msg::new("序列号格式不正确")))?
                    .to_hex(),
            ),
            None => None,
        };
        Ok(certificates::search_admin(
            &mut *self.db.conn().await?,
            &AdminFilter {
                serial,
                name: f.name.clone(),
                credit_code: f
                    .credit_code
                    .as_deref()
                    .map(|c| c.trim().to_ascii_uppercase()),
                status: f.status.clone(),
                now: self.now_ms(),
                limit: PAGE_SIZE,
                offset: f.page.max(0) * PAGE_SIZE,
            },
        )
        .await?)
    }

    pub async fn certificate_for_staff(
        &self,
        who: &StaffMember,
        serial: &str,
    ) -> Result<CertificateRow, RaError> {
        who.require(Perm::ViewCertificates)?;
        let serial = Serial::parse(serial).map_err(|_| RaError::NotFound)?;
        certificates::by_serial(&mut *self.db.conn().await?, &serial.to_hex())
            .await?
            .filter(|c| c.state == certificates::STATE_ISSUED)
            .ok_or(RaError::NotFound)
    }

    /// Revokes with an RFC 5280 reason; `confirmed` is the operator's explicit
    /// confirmation on the page.
    pub async fn revoke_by_staff(
        &self,
        who: &StaffMember,
        serial: &str,
        reason: &str,
        confirmed: bool,
    ) -> Result<(), RaError> {
        who.require(Perm::Revoke)?;
        if reason.trim().is_empty() {
            return Err(RaError::Invalid(Msg::new("请选择吊销原因")));
        }
        let reason: RevocationReason = reason
            .parse()
            .map_err(|_| RaError::Invalid(Msg::new("吊销原因无效")))?;
        if !confirmed {
            return Err(RaError::Invalid(Msg::new(
                "请勾选确认后再吊销，吊销后不可恢复",
            )));
        }
        let row = self.certificate_for_staff(who, serial).await?;
        let serial = Serial::parse(&row.serial).map_err(|_| RaError::NotFound)?;
        match self.authority.revoke(&serial, reason, &who.actor()).await {
            Ok(_) => Ok(()),
            Err(ca::CaError::AlreadyRevoked { .. }) => {
                Err(RaError::Conflict(Msg::new("该证书已被吊销")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// `valid`, `revoked` or `expired`, at `now`.
pub(crate) fn status_of(row: &CertificateRow, now: i64) -> &'static str {
    if row.revoked_at.is_some() {
        "revoked"
    } else if row.not_after <= now {
        "expired"
    } else {
        "valid"
    }
}

/// One of a holder's certificates as 个人中心 lists it.
#[derive(Debug, Clone)]
pub struct HolderCertificate {
    pub row: CertificateRow,
    /// `valid`, `revoked` or `expired`.
    pub status: &'static str,
    /// Whether 在线延期 is offered for it now; if not, why.
    pub renewal: Result<(), Msg>,
    /// 双证书: the serial (hex) of the encryption certificate issued with it.
    pub encryption_serial: Option<String>,
}

impl Ra {
    /// Whether 在线延期 is offered now for a certificate (`RaSettings::renewal`);
    /// if not, why, for the holder.
    pub(crate) fn renewal_of(&self, row: &CertificateRow, now: i64) -> Result<(), Msg> {
        if row.revoked_at.is_some() {
            return Err(Msg::new("证书已吊销，不能在线延期"));
        }
        self.settings.renewal.check(row.not_after, now)
    }

    /// The signed-in holder's certificates (only theirs: linked through their
    /// own applications), with what each can take now.
    pub async fn certificates_of(
        &self,
        holder_id: &str,
    ) -> Result<Vec<HolderCertificate>, RaError> {
        let mut conn = self.db.conn().await?;
        let rows = certificates::of_holder(&mut conn, holder_id).await?;
        let now = self.now_ms();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let status = status_of(&row, now);
            let renewal = self.renewal_of(&row, now);
            let encryption_serial = store::pairs::by_signing(&mut conn, &row.serial)
                .await?
                .map(|p| p.encryption_serial);
            out.push(HolderCertificate {
                row,
                status,
                renewal,
                encryption_serial,
            });
        }
        Ok(out)
    }
}
