//! A minimal DER writer for structures built at volume (CRL entries, OCSP responses),
//! where going through an object model would allocate per field.

/// Appends a definite length.
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Size of tag + length octets for `len` content octets.
pub fn header_len(len: usize) -> usize {
    match len {
        0..0x80 => 2,
        0x80..0x100 => 3,
        0x100..0x1_0000 => 4,
        0x1_0000..0x100_0000 => 5,
        _ => 6,
    }
}

/// Appends tag, length and content.
pub fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// Wraps `content` in a TLV and returns it.
pub fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_len(content.len()) + content.len());
    tlv(&mut out, tag, content);
    out
}

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const ENUMERATED: u8 = 0x0a;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const UTC_TIME: u8 = 0x17;

/// A BIT STRING with no unused bits (signatures, keys).
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_len(bytes.len() + 1) + bytes.len() + 1);
    out.push(BIT_STRING);
    push_len(&mut out, bytes.len() + 1);
    out.push(0);
    out.extend_from_slice(bytes);
    out
}

/// `SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }`: the shape of a
/// signed certificate, CRL and OCSP basic response alike.
pub fn signed(tbs: &[u8], signature_algorithm_der: &[u8], signature: &[u8]) -> Vec<u8> {
    let sig = bit_string(signature);
    let len = tbs.len() + signature_algorithm_der.len() + sig.len();
    let mut out = Vec::with_capacity(header_len(len) + len);
    out.push(SEQUENCE);
    push_len(&mut out, len);
    out.extend_from_slice(tbs);
    out.extend_from_slice(signature_algorithm_der);
    out.extend_from_slice(&sig);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_der() {
        for (len, expect) in [
            (0usize, vec![0x00]),
            (0x7f, vec![0x7f]),
            (0x80, vec![0x81, 0x80]),
            (0x1234, vec![0x82, 0x12, 0x34]),
            (0x12_3456, vec![0x83, 0x12, 0x34, 0x56]),
        ] {
            let mut out = Vec::new();
            push_len(&mut out, len);
            assert_eq!(out, expect, "{len:#x}");
            assert_eq!(header_len(len), 1 + expect.len());
        }
    }
}
