//! Full CRLs (RFC 5280 §5), v2, with CRL number and authority key identifier.
//! Entries are written straight into one buffer: a CRL may list a million serials.

use crate::{asn1time, derw};

/// One revoked certificate.
pub struct CrlEntry<'a> {
    /// Content octets of the serial's DER INTEGER.
    pub serial_der_integer: &'a [u8],
    pub revoked_at_ms: i64,
    /// CRLReason code; 0 (unspecified) is left out, as RFC 5280 recommends.
    pub reason: u8,
}

pub struct CrlTemplate<'a> {
    pub signature_algorithm_der: &'a [u8],
    pub issuer_name_der: &'a [u8],
    pub issuer_key_id: &'a [u8],
    pub number: i64,
    pub this_update_ms: i64,
    pub next_update_ms: i64,
}

/// Encodes the revokedCertificates list (its content, without the outer header).
pub fn encode_entries<'a>(entries: impl Iterator<Item = CrlEntry<'a>>, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity * 48);
    let mut entry = Vec::with_capacity(64);
    for e in entries {
        entry.clear();
        derw::tlv(&mut entry, derw::INTEGER, e.serial_der_integer);
        asn1time::rfc5280(&mut entry, e.revoked_at_ms);
        if e.reason != 0 {
            // Extensions { Extension { reasonCode, OCTET STRING { ENUMERATED } } }
            const REASON_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x15];
            entry.extend_from_slice(&[0x30, 0x0c, 0x30, 0x0a]);
            entry.extend_from_slice(&REASON_OID);
            entry.extend_from_slice(&[derw::OCTET_STRING, 0x03, derw::ENUMERATED, 0x01, e.reason]);
        }
        derw::tlv(&mut out, derw::SEQUENCE, &entry);
    }
    out
}

/// The TBSCertList. `entries` is the output of [`encode_entries`].
pub fn encode_tbs(t: &CrlTemplate<'_>, entries: &[u8]) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    derw::tlv(&mut head, derw::INTEGER, &[1]); // v2
    head.extend_from_slice(t.signature_algorithm_der);
    head.extend_from_slice(t.issuer_name_der);
    asn1time::rfc5280(&mut head, t.this_update_ms);
    asn1time::rfc5280(&mut head, t.next_update_ms);

    // crlExtensions [0] EXPLICIT: AKI (keyIdentifier [0]) and CRL number.
    let mut exts = Vec::with_capacity(64);
    let aki_value = derw::wrap(derw::SEQUENCE, &derw::wrap(0x80, t.issuer_key_id));
    let mut aki = derw::wrap(0x06, &[0x55, 0x1d, 0x23]);
    derw::tlv(&mut aki, derw::OCTET_STRING, &aki_value);
    derw::tlv(&mut exts, derw::SEQUENCE, &aki);
    let number = positive_integer(t.number);
    let mut num = derw::wrap(0x06, &[0x55, 0x1d, 0x14]);
    derw::tlv(
        &mut num,
        derw::OCTET_STRING,
        &derw::wrap(derw::INTEGER, &number),
    );
    derw::tlv(&mut exts, derw::SEQUENCE, &num);
    let exts = derw::wrap(0xa0, &derw::wrap(derw::SEQUENCE, &exts));

    let revoked_len = if entries.is_empty() {
        0
    } else {
        derw::header_len(entries.len()) + entries.len()
    };
    let body_len = head.len() + revoked_len + exts.len();
    let mut tbs = Vec::with_capacity(derw::header_len(body_len) + body_len);
    tbs.push(derw::SEQUENCE);
    derw::push_len(&mut tbs, body_len);
    tbs.extend_from_slice(&head);
    if !entries.is_empty() {
        derw::tlv(&mut tbs, derw::SEQUENCE, entries);
    }
    tbs.extend_from_slice(&exts);
    tbs
}

/// Content octets of a non-negative INTEGER.
pub fn positive_integer(v: i64) -> Vec<u8> {
    let bytes = v.max(0).to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    let mut out = Vec::with_capacity(9);
    if bytes[start] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[start..]);
    out
}
