//! Full CRLs (RFC 5280 §5), v2, with CRL number and authority key identifier.
//!
//! A CRL may list a million serials (about 44 MB), so it is built in one
//! buffer and held once: entries are appended as the database yields them,
//! room is kept in front of them for the headers, and once the length is
//! known the headers are written into that room and the signature appended.
//! The finished CRL is a slice of the same buffer.

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

/// The most a DER header takes for any length we can hold in memory.
const MAX_HEADER: usize = 6;

/// A CRL being built; see the module documentation.
pub struct CrlBuilder {
    /// version, signature, issuer, thisUpdate, nextUpdate.
    head: Vec<u8>,
    /// crlExtensions, [0] EXPLICIT.
    extensions: Vec<u8>,
    signature_algorithm_der: Vec<u8>,
    /// `reserve` bytes of room, then the entries.
    out: Vec<u8>,
    reserve: usize,
    entry: Vec<u8>,
    entries: usize,
}

impl CrlBuilder {
    /// `expected`: about how many entries will come (to size the buffer once).
    pub fn new(t: &CrlTemplate<'_>, expected: usize) -> CrlBuilder {
        let mut head = Vec::with_capacity(256);
        derw::tlv(&mut head, derw::INTEGER, &[1]); // v2
        head.extend_from_slice(t.signature_algorithm_der);
        head.extend_from_slice(t.issuer_name_der);
        asn1time::rfc5280(&mut head, t.this_update_ms);
        asn1time::rfc5280(&mut head, t.next_update_ms);

        // AKI (keyIdentifier [0]) and CRL number.
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
        let extensions = derw::wrap(0xa0, &derw::wrap(derw::SEQUENCE, &exts));

        // Room for: the CertificateList header, the TBSCertList header, the
        // head, and the revokedCertificates header.
        let reserve = MAX_HEADER + MAX_HEADER + head.len() + MAX_HEADER;
        let mut out = Vec::with_capacity(reserve + expected * 48 + extensions.len() + 160);
        out.resize(reserve, 0);
        CrlBuilder {
            head,
            extensions,
            signature_algorithm_der: t.signature_algorithm_der.to_vec(),
            out,
            reserve,
            entry: Vec::with_capacity(64),
            entries: 0,
        }
    }

    pub fn push(&mut self, e: CrlEntry<'_>) {
        self.entry.clear();
        derw::tlv(&mut self.entry, derw::INTEGER, e.serial_der_integer);
        asn1time::rfc5280(&mut self.entry, e.revoked_at_ms);
        if e.reason != 0 {
            // Extensions { Extension { reasonCode, OCTET STRING { ENUMERATED } } }
            const REASON_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x15];
            self.entry.extend_from_slice(&[0x30, 0x0c, 0x30, 0x0a]);
            self.entry.extend_from_slice(&REASON_OID);
            self.entry.extend_from_slice(&[
                derw::OCTET_STRING,
                0x03,
                derw::ENUMERATED,
                0x01,
                e.reason,
            ]);
        }
        derw::tlv(&mut self.out, derw::SEQUENCE, &self.entry);
        self.entries += 1;
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Writes the headers, signs the TBSCertList with `sign`, and returns the
    /// buffer with the offset where the DER CertificateList starts.
    pub fn finish<E>(
        mut self,
        sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
    ) -> Result<(Vec<u8>, usize), E> {
        let list_len = self.out.len() - self.reserve;
        self.out.extend_from_slice(&self.extensions);
        // revokedCertificates is left out when empty (RFC 5280 §5.1.2.6).
        let mut list_header = Vec::with_capacity(MAX_HEADER);
        if list_len > 0 {
            list_header.push(derw::SEQUENCE);
            derw::push_len(&mut list_header, list_len);
        }
        let tbs_len = self.head.len() + list_header.len() + list_len + self.extensions.len();
        let mut tbs_header = Vec::with_capacity(MAX_HEADER);
        tbs_header.push(derw::SEQUENCE);
        derw::push_len(&mut tbs_header, tbs_len);

        let list_start = self.reserve - list_header.len();
        let head_start = list_start - self.head.len();
        let tbs_start = head_start - tbs_header.len();
        self.out[list_start..self.reserve].copy_from_slice(&list_header);
        self.out[head_start..list_start].copy_from_slice(&self.head);
        self.out[tbs_start..head_start].copy_from_slice(&tbs_header);

        let signature = sign(&self.out[tbs_start..])?;
        self.out.extend_from_slice(&self.signature_algorithm_der);
        self.out.extend_from_slice(&derw::bit_string(&signature));
        let total = self.out.len() - tbs_start;
        let mut outer = Vec::with_capacity(MAX_HEADER);
        outer.push(derw::SEQUENCE);
        derw::push_len(&mut outer, total);
        let start = tbs_start - outer.len();
        self.out[start..tbs_start].copy_from_slice(&outer);
        Ok((self.out, start))
    }
}

/// Content octets of the DER INTEGER of a serial written as hex (our
/// serials: at most 20 bytes), without allocating; `None` if it is not hex.
pub fn serial_integer<'b>(hex: &str, buf: &'b mut [u8; 21]) -> Option<&'b [u8]> {
    let digits = hex.as_bytes();
    if digits.is_empty() || digits.len() > 40 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    // Right-align the value in buf[1..].
    let n = digits.len().div_ceil(2);
    let mut at = 21 - n;
    let mut i = 0;
    if digits.len() % 2 == 1 {
        buf[at] = nibble(digits[0])?;
        at += 1;
        i = 1;
    }
    while i < digits.len() {
        buf[at] = nibble(digits[i])? << 4 | nibble(digits[i + 1])?;
        at += 1;
        i += 2;
    }
    let mut start = 21 - n;
    while start < 20 && buf[start] == 0 {
        start += 1;
    }
    if buf[start] & 0x80 != 0 {
        start -= 1;
        buf[start] = 0;
    }
    Some(&buf[start..])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_integers_are_minimal_and_positive() {
        let mut buf = [0u8; 21];
        assert_eq!(serial_integer("01", &mut buf).unwrap(), &[1]);
        assert_eq!(serial_integer("0080", &mut buf).unwrap(), &[0, 0x80]);
        assert_eq!(serial_integer("1A2b", &mut buf).unwrap(), &[0x1a, 0x2b]);
        assert_eq!(serial_integer("abc", &mut buf).unwrap(), &[0x0a, 0xbc]);
        assert_eq!(serial_integer("00", &mut buf).unwrap(), &[0]);
        let big = "F".repeat(40);
        assert_eq!(serial_integer(&big, &mut buf).unwrap().len(), 21);
        assert!(serial_integer("xyz", &mut buf).is_none());
        assert!(serial_integer("", &mut buf).is_none());
        assert!(serial_integer(&"1".repeat(41), &mut buf).is_none());
    }

    #[test]
    fn a_crl_is_one_well_formed_sequence_with_or_without_entries() {
        let t = CrlTemplate {
            signature_algorithm_der: &[
                0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
            ],
            issuer_name_der: &[0x30, 0x00],
            issuer_key_id: &[7; 20],
            number: 3,
            this_update_ms: 1_700_000_000_000,
            next_update_ms: 1_700_600_000_000,
        };
        for n in [0usize, 1, 5000] {
            let mut b = CrlBuilder::new(&t, n);
            let mut buf = [0u8; 21];
            for i in 0..n {
                let hex = format!(
                    "{:032X}",
                    0x1000_0000_0000_0000_0000_0000_0000_0000_u128 + i as u128
                );
                b.push(CrlEntry {
                    serial_der_integer: serial_integer(&hex, &mut buf).unwrap(),
                    revoked_at_ms: 1_699_000_000_000,
                    reason: (i % 3) as u8,
                });
            }
            let mut signed_tbs = Vec::new();
            let (buf, start) = b
                .finish(|tbs| {
                    signed_tbs = tbs.to_vec();
                    Ok::<_, ()>(vec![0x30, 0x02, 0x02, 0x00])
                })
                .unwrap();
            let der = &buf[start..];
            use der::Decode;
            let crl =
                x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der)
                    .expect("parses");
            assert_eq!(
                crl.tbs_cert_list
                    .revoked_certificates
                    .as_ref()
                    .map_or(0, |r| r.len()),
                n
            );
            // What was signed is exactly the TBSCertList inside.
            use der::Encode;
            assert_eq!(crl.tbs_cert_list.to_der().unwrap(), signed_tbs);
        }
    }
}
