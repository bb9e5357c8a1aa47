//! `POST /api/v1/ca/issue`: integrators' registration systems issue through
//! certhall with an API key.

use serde::{Deserialize, Serialize};

/// A certificate for an approved subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Repeating an id returns the same certificate (for the same key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// PEM PKCS#10.
    pub csr: String,
    /// `enterprise` (机构证书) or `individual` (个人证书).
    pub profile: String,
    pub common_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Lifetime in years (1 when neither is given)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
    /// …or in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// The certificate issued (201), or the one issued before for the request id
/// (200, `replayed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueAnswer {
    pub serial: String,
    /// PEM.
    pub certificate: String,
    pub replayed: bool,
    /// Under an SM2 CA (双证书), for an SM2 key: the encryption certificate
    /// issued with it and its key pair from the KMC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<IssuedEncryption>,
}

/// The encryption half of a pair, for a client that is not a USB key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedEncryption {
    pub serial: String,
    /// PEM.
    pub certificate: String,
    /// Base64 of the GB/T 35276 `SM2EnvelopedKey` (DER): the private key,
    /// enveloped to the key of the CSR.
    pub enveloped_key: String,
}
