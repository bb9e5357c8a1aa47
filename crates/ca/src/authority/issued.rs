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
    /// Under an SM2 CA with a KMC: the encryption certificate issued with
    /// this signing one, and its key pair from the KMC.
    pub encryption: Option<EncryptionIssued>,
}

/// The encryption half of a pair (GM/T 0034 §6): its certificate, and the
/// KMC's delivery of its key pair, enveloped to the signing key.
#[derive(Debug, Clone)]
pub struct EncryptionIssued {
    pub serial: Serial,
    pub cert_der: Vec<u8>,
    /// The encryption key pair's public key (SEC1).
    pub public_key: Vec<u8>,
    /// The KMC's GB/T 35275 SignedAndEnvelopedData of the private key.
    pub envelope: Vec<u8>,
}

impl EncryptionIssued {
    /// The envelope's parts, for its other encodings (the SKF blob a USB key
    /// imports, GB/T 35276 SM2EnvelopedKey).
    pub fn key_envelope(&self) -> Result<pki::envelope::KeyEnvelope, CaError> {
        let public: [u8; 65] =
            self.public_key.as_slice().try_into().map_err(|_| {
                pki::PkiError::Envelope("a stored public key is not 65 bytes".into())
            })?;
        Ok(pki::envelope::signed::read(&self.envelope, &public)?.envelope)
    }
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
