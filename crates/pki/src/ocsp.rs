//! RFC 6960 OCSP: request parsing and response encoding. No crate on the current
//! der/x509-cert stack does OCSP, so the structures live here.
//!
//! Requests are decoded with `der` derive; responses are written by hand because
//! they are on the hot path and have a fixed shape.

use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Version;
use x509_cert::ext::Extension;

use crate::{asn1time, derw, oids};

/// OCSPResponseStatus values we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    Unauthorized = 6,
}

/// An unsuccessful OCSPResponse: just the status.
pub fn error_response(status: ResponseStatus) -> Vec<u8> {
    vec![0x30, 0x03, derw::ENUMERATED, 0x01, status as u8]
}

#[derive(Debug, Clone, der::Sequence)]
pub struct CertId {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub issuer_name_hash: OctetString,
    pub issuer_key_hash: OctetString,
    pub serial_number: Int,
}

#[derive(Debug, Clone, der::Sequence)]
struct Request {
    req_cert: CertId,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    single_request_extensions: Option<Vec<Extension>>,
}

#[derive(Debug, Clone, der::Sequence)]
struct TbsRequest {
    #[asn1(
        context_specific = "0",
        tag_mode = "EXPLICIT",
        default = "Default::default"
    )]
    version: Version,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    requestor_name: Option<der::Any>,
    request_list: Vec<Request>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Vec<Extension>>,
}

#[derive(Debug, Clone, der::Sequence)]
struct OcspRequest {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    optional_signature: Option<der::Any>,
}

/// A decoded request: the certificates asked about and the nonce, if any.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub cert_ids: Vec<CertId>,
    /// The whole nonce Extension, echoed verbatim in the response.
    pub nonce: Option<Extension>,
}

/// Requests with more entries than this are refused as malformed: nobody needs
/// more, and it bounds the work one request can cause.
pub const MAX_CERTS_PER_REQUEST: usize = 16;

/// The DER of a GET request (RFC 6960 A.1: the base64 of the DER in the path,
/// already URL-decoded). Clients differ in alphabet and padding, and some
/// leave line breaks in: all are taken. Empty when it is none of them (the
/// answer is then `malformedRequest`).
pub fn decode_get(encoded: &str) -> Vec<u8> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    let cleaned: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD
        .decode(&cleaned)
        .or_else(|_| URL_SAFE.decode(&cleaned))
        .or_else(|_| URL_SAFE_NO_PAD.decode(&cleaned))
        .unwrap_or_default()
}

pub fn parse_request(der_bytes: &[u8]) -> Option<ParsedRequest> {
    let req = OcspRequest::from_der(der_bytes).ok()?;
    let list = req.tbs_request.request_list;
    if list.is_empty() || list.len() > MAX_CERTS_PER_REQUEST {
        return None;
    }
    let nonce = req
        .tbs_request
        .request_extensions
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.extn_id == oids::OCSP_NONCE);
    if nonce
        .as_ref()
        .is_some_and(|n| n.extn_value.as_bytes().len() > 128)
    {
        return None;
    }
    Some(ParsedRequest {
        cert_ids: list.into_iter().map(|r| r.req_cert).collect(),
        nonce,
    })
}

/// The issuer hashes a CertID must carry to be about our issuing CA, for each hash
/// algorithm a client may use.
#[derive(Debug, Clone)]
pub struct IssuerHashes {
    entries: Vec<(ObjectIdentifier, Vec<u8>, Vec<u8>)>,
}

impl IssuerHashes {
    /// `name_der`: the issuing CA's subject Name; `key_bits`: its subjectPublicKey.
    pub fn new(name_der: &[u8], key_bits: &[u8]) -> Self {
        use sha1::Sha1;
        use sha2::{Digest, Sha256};
        use sm3::Sm3;
        let entries = vec![
            (
                oids::SHA1,
                Sha1::digest(name_der).to_vec(),
                Sha1::digest(key_bits).to_vec(),
            ),
            (
                oids::SHA256,
                Sha256::digest(name_der).to_vec(),
                Sha256::digest(key_bits).to_vec(),
            ),
            (
                oids::SM3,
                Sm3::digest(name_der).to_vec(),
                Sm3::digest(key_bits).to_vec(),
            ),
        ];
        IssuerHashes { entries }
    }

    pub fn matches(&self, id: &CertId) -> bool {
        self.entries.iter().any(|(oid, name, key)| {
            *oid == id.hash_algorithm.oid
                && name.as_slice() == id.issuer_name_hash.as_bytes()
                && key.as_slice() == id.issuer_key_hash.as_bytes()
        })
    }
}

/// What we know about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked { at_ms: i64, reason: Option<u8> },
    Unknown,
}

impl CertStatus {
    pub fn label(self) -> &'static str {
        match self {
            CertStatus::Good => "good",
            CertStatus::Revoked { .. } => "revoked",
            CertStatus::Unknown => "unknown",
        }
    }
}

/// One SingleResponse.
pub fn encode_single(
    cert_id: &CertId,
    status: CertStatus,
    this_update_ms: i64,
    next_update_ms: i64,
) -> Result<Vec<u8>, der::Error> {
    let mut body = cert_id.to_der()?;
    match status {
        CertStatus::Good => body.extend_from_slice(&[0x80, 0x00]),
        CertStatus::Unknown => body.extend_from_slice(&[0x82, 0x00]),
        CertStatus::Revoked { at_ms, reason } => {
            let mut info = Vec::with_capacity(24);
            asn1time::generalized(&mut info, at_ms);
            if let Some(code) = reason.filter(|&c| c != 0) {
                info.extend_from_slice(&[0xa0, 0x03, derw::ENUMERATED, 0x01, code]);
            }
            derw::tlv(&mut body, 0xa1, &info);
        }
    }
    asn1time::generalized(&mut body, this_update_ms);
    let mut next = Vec::with_capacity(17);
    asn1time::generalized(&mut next, next_update_ms);
    derw::tlv(&mut body, 0xa0, &next);
    Ok(derw::wrap(derw::SEQUENCE, &body))
}

/// ResponseData with a byKey responder ID.
pub fn encode_response_data(
    responder_key_id: &[u8],
    produced_at_ms: i64,
    singles: &[Vec<u8>],
    nonce: Option<&Extension>,
) -> Result<Vec<u8>, der::Error> {
    let mut body = Vec::with_capacity(256);
    derw::tlv(
        &mut body,
        0xa2,
        &derw::wrap(derw::OCTET_STRING, responder_key_id),
    );
    asn1time::generalized(&mut body, produced_at_ms);
    derw::tlv(&mut body, derw::SEQUENCE, &singles.concat());
    if let Some(n) = nonce {
        let ext = n.to_der()?;
        derw::tlv(&mut body, 0xa1, &derw::wrap(derw::SEQUENCE, &ext));
    }
    Ok(derw::wrap(derw::SEQUENCE, &body))
}

/// The successful OCSPResponse around a signed BasicOCSPResponse that also carries
/// the responder's certificate.
pub fn encode_success(
    response_data: &[u8],
    signature_algorithm_der: &[u8],
    signature: &[u8],
    responder_cert_der: &[u8],
) -> Vec<u8> {
    let sig = derw::bit_string(signature);
    let certs = derw::wrap(0xa0, &derw::wrap(derw::SEQUENCE, responder_cert_der));
    let basic = derw::wrap(
        derw::SEQUENCE,
        &[response_data, signature_algorithm_der, &sig, &certs].concat(),
    );
    let mut bytes = derw::wrap(0x06, oids::OCSP_BASIC.as_bytes());
    derw::tlv(&mut bytes, derw::OCTET_STRING, &basic);
    let response_bytes = derw::wrap(0xa0, &derw::wrap(derw::SEQUENCE, &bytes));
    derw::wrap(
        derw::SEQUENCE,
        &[&[derw::ENUMERATED, 0x01, 0x00][..], &response_bytes].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_request() {
        assert!(parse_request(b"hello").is_none());
        assert!(parse_request(&[0x30, 0x00]).is_none());
        assert_eq!(
            error_response(ResponseStatus::MalformedRequest),
            [0x30, 0x03, 0x0a, 0x01, 0x01]
        );
    }
}
