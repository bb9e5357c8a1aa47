//! What the certificate assistant sends and reads.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/businesses`: one business of 办事大厅.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Business {
    pub key: String,
    pub name: String,
    /// Price per certificate type, e.g. `{"enterprise": "¥0.00"}`.
    pub prices: serde_json::Map<String, serde_json::Value>,
}

/// `POST /api/v1/handoff/challenge`: what the token signs next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub nonce: String,
    /// What to sign for the hand-off: the UTF-8 bytes of this string.
    #[serde(default)]
    pub sign: String,
    #[serde(default)]
    pub expires_at: String,
}

/// `POST /api/v1/handoff`: a proof of possession for a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffRequest {
    /// PEM, or base64 of the DER.
    pub certificate: String,
    pub nonce: String,
    /// Base64 of the signature over `certhall-handoff:<nonce>`.
    pub signature: String,
    /// The business to open; `change` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
}

/// The single-use link that opens the business's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(default)]
    pub expires_at: String,
}

/// A proved call (`/api/v1/assistant/*`): the certificate, a fresh challenge
/// and the token's signature over the call's message
/// (`certhall-<purpose>:<nonce>[:…]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// PEM, or base64 of the DER.
    pub certificate: String,
    pub nonce: String,
    /// Base64.
    pub signature: String,
    /// `issue` only: the PKCS#10 request made in the token, PEM or base64 DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    /// `seal/written` only: the hex SHA-256 of the seal written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// `POST /api/v1/assistant/status`: the proving certificate and its
/// applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertStatus {
    pub serial: String,
    pub status: String,
    pub common_name: String,
    pub organization: Option<String>,
    pub not_before: String,
    pub not_after: String,
    pub applications: Vec<AppStatus>,
    /// Whether 在线延期 is offered now (absent from older servers).
    #[serde(default)]
    pub renewal: Option<Renewal>,
}

impl CertStatus {
    /// `在线延期：可办理`, or why not; nothing from a server that does not say.
    pub fn renewal_line(&self) -> Option<String> {
        let r = self.renewal.as_ref()?;
        Some(if r.available {
            "在线延期：可办理".to_string()
        } else {
            format!(
                "在线延期：暂不可办理（{}）",
                r.reason.as_deref().unwrap_or("未说明原因")
            )
        })
    }
}

/// One application of a certificate, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    pub id: String,
    pub business: String,
    pub business_name: String,
    pub state: String,
    pub state_label: String,
    #[serde(default)]
    pub updated_at: String,
    /// The certificate the application started from.
    #[serde(default)]
    pub from_serial: Option<String>,
    /// The certificate presented is the one this application produced.
    #[serde(default)]
    pub issued_here: bool,
}

/// Whether 在线延期 is offered for a certificate now, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renewal {
    pub available: bool,
    pub reason: Option<String>,
}

/// `issue`, `pickup`: the certificate made for an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub application_id: String,
    pub serial: String,
    pub certificate_pem: String,
    /// Under an SM2 CA (双证书): the encryption certificate and its key pair
    /// from the KMC, for the same container. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionPair>,
}

/// The encryption half of a pair (GM/T 0034 §6): its certificate, and its
/// key pair enveloped by the KMC to the signing key just certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionPair {
    pub serial: String,
    pub certificate_pem: String,
    /// Base64 of the `ENVELOPEDKEYBLOB` (GB/T 35291 §6.4.10.1) that
    /// `SKF_ImportECCKeyPair` takes.
    pub envelope: String,
}

/// `earlier-keys`: the earlier encryption certificates a certificate of
/// 在线补办 (with 取回原加密密钥 ticked) may have back, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierKeys {
    pub keys: Vec<EarlierKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierKey {
    pub serial: String,
    pub certificate_pem: String,
}

/// `earlier-keys/restore`: one earlier key, enveloped to `public_key`, a
/// fresh SM2 key made for it (the proof's message names both). Answered
/// with an [`EncryptionPair`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierKeyRequest {
    #[serde(flatten)]
    pub proof: Proof,
    /// The encryption certificate's serial, as `earlier-keys` gave it.
    pub serial: String,
    /// Base64 of the DER SubjectPublicKeyInfo.
    pub public_key: String,
}

/// `complete`, `seal/written`: where the application stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completed {
    pub application_id: String,
    /// `COMPLETED`, or `APPROVED` for a key that is mailed next.
    pub state: String,
    pub state_label: String,
}

/// `seal`: the approved seal image of the proving certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub application_id: String,
    /// Hex.
    pub sha256: String,
    /// Base64 of the PNG.
    pub png: String,
}

/// `seal/current`: the seal the proving certificate carries, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentSeal {
    pub seal: Option<Seal>,
}

/// `POST /api/v1/assistant/pickup`: a 写入码 and the CSR made in the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupRequest {
    pub code: String,
    /// PEM, or base64 of the DER.
    pub csr: String,
}

/// `POST /api/v1/unlock/start` and `/finish`: a USB key's serial (and, to
/// finish, the SMS code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    pub token_serial: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
}

/// `unlock/start`: the same words for any key (they name no number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockStarted {
    pub message: String,
}

/// `unlock/finish`: the key's SO PIN for the assistant alone, or the word
/// that the reset waits for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockFinished {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub so_pin: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /api/v1/tokens/escrow`: an operator (name, password and current
/// code, checked on this request) hands a key's SO PIN to the CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowRequest {
    pub name: String,
    pub password: String,
    pub code: String,
    pub token_serial: String,
    pub mobile: String,
    pub so_pin: String,
}

/// The SO PIN of this key is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escrowed {
    pub escrowed: String,
}

/// `POST /api/v1/assistant/revoke`: besides the proof (which signs the
/// reason), the 注销 as the portal's form has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// `keyCompromise`, `affiliationChanged` or `cessationOfOperation`.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    /// The SMS code.
    #[serde(default)]
    pub code: String,
}

/// `POST /api/v1/assistant/revoke/code`: the code was texted to the
/// certificate's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeCodeSent {
    pub application_id: String,
    /// 138****1234
    pub mobile: String,
}
