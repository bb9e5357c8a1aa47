//! Reading raw DER elements without decoding them: the signed part of a structure
//! must be verified over the exact bytes that were signed.

/// Splits one TLV at the start of `input`: (tag, header length, total length).
pub fn element(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let total = header.checked_add(len)?;
    (total <= input.len()).then_some((tag, header, total))
}

/// The first element inside the SEQUENCE at the start of `input` (the TBS part
/// of a certificate, CRL, CSR or OCSP basic response), header included.
pub fn first_element(input: &[u8]) -> Option<&[u8]> {
    let (_, header, total) = element(input)?;
    let content = &input[header..total];
    let (_, _, inner_total) = element(content)?;
    Some(&content[..inner_total])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_inner_element() {
        let seq = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07];
        assert_eq!(first_element(&seq), Some(&seq[2..5]));
        assert_eq!(first_element(&seq[..4]), None);
        let long = [&[0x30, 0x81, 0x03][..], &[0x04, 0x01, 0xff]].concat();
        assert_eq!(first_element(&long), Some(&long[3..6]));
    }
}
