//! What issuing yields and records, one at a time (`issue`) or in a batch
//! (`batch`): the issued certificate, and its audit entry.

use domain::Serial;
use serde_json::json;
use store::audit;

use crate::CaError;

/// The outcome: the certificate, and whether this call made it or found it.
#[derive(Debug, Clone)]
pub struct Issued {
    pub serial: Serial,
    pub cert_der: Vec<u8>,
    pub replayed: bool,
}

/// The audit record of an issued certificate (one at a time or in a batch).
#[expect(
    clippy::too_many_arguments,
    reason = "each is a field of the audit entry"
)]
pub(super) async fn audit_issue(
    tx: &mut store::AnyConnection,
    key: &audit::AuditKey,
    now: i64,
    actor: &str,
    serial_hex: &str,
    profile: &str,
    subject: &str,
    request_id: &str,
    not_after: i64,
) -> Result<(), CaError> {
    audit::append(
        tx,
        key,
        now,
        &audit::Event {
            actor,
            action: "certificate.issue",
            object: serial_hex,
            details: json!({
                "profile": profile,
                "subject": subject,
                "request_id": request_id,
                "not_after": not_after,
            }),
        },
    )
    .await?;
    Ok(())
}
