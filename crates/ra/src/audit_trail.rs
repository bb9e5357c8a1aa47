//! The auditor's view of the hash-chained audit log: entries filtered by actor,
//! action, object and time, and whether the whole chain still verifies.

use domain::Perm;
use store::audit::{self, AuditEntry, AuditFilter, Verdict};

use crate::staff::StaffMember;
use crate::{Ra, RaError};

const PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone)]
pub struct AuditTrail {
    pub entries: Vec<AuditEntry>,
    pub verdict: Verdict,
}

impl Ra {
    /// One page of entries (newest first) and the verdict over the whole chain.
    pub async fn audit_trail(
        &self,
        who: &StaffMember,
        filter: &AuditFilter,
        page: i64,
    ) -> Result<AuditTrail, RaError> {
        who.require(Perm::ViewAudit)?;
        let mut conn = self.db.conn().await?;
        let entries = audit::search(
            &mut conn,
            &AuditFilter {
                limit: PAGE_SIZE,
                offset: page.clamp(0, 100_000) * PAGE_SIZE,
                ..filter.clone()
            },
        )
        .await?;
        let verdict = audit::verify(&mut conn, self.db.audit_key()?).await?;
        Ok(AuditTrail { entries, verdict })
    }
}
