//! Certificate serial numbers as people and OpenSSL write them.
//!
//! Stored and shown as upper-case hex of the positive DER INTEGER's magnitude, with
//! no leading zero bytes: exactly what `openssl x509 -serial` prints (less its
//! `serial=` prefix), so a serial can be copied from OpenSSL into certhall.

use std::fmt;

use crate::ParseError;

const FIELD: &str = "serial";
/// RFC 5280 §4.1.2.2: at most 20 octets.
const MAX_LEN: usize = 20;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// Parses hex, with or without `:` separators (`openssl x509 -text` style), in
    /// either case.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        let raw = raw.strip_prefix("serial=").unwrap_or(raw);
        let hex_digits: String = raw.chars().filter(|&c| c != ':').collect();
        if hex_digits.is_empty() {
            return Err(ParseError::Missing { field: FIELD });
        }
        let padded = if hex_digits.len() % 2 == 1 {
            format!("0{hex_digits}")
        } else {
            hex_digits
        };
        // Padded to an even length: only a character that is not a hex digit
        // makes decoding fail.
        let bytes = hex::decode(padded).map_err(|_| {
            ParseError::invalid(
                FIELD,
                "must be hexadecimal digits, as `openssl x509 -serial` prints them",
            )
        })?;
        Self::from_magnitude(&bytes)
    }

    /// From the big-endian magnitude of a positive integer (leading zeros allowed).
    pub fn from_magnitude(bytes: &[u8]) -> Result<Self, ParseError> {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        let trimmed = &bytes[start..];
        if trimmed.is_empty() {
            return Err(ParseError::invalid(FIELD, "must not be zero"));
        }
        if trimmed.len() > MAX_LEN {
            return Err(ParseError::invalid(FIELD, "longer than 20 bytes"));
        }
        Ok(Serial(trimmed.to_vec()))
    }

    /// From the content octets of a DER INTEGER (two's complement). Negative
    /// serials are refused.
    pub fn from_der_integer(bytes: &[u8]) -> Result<Self, ParseError> {
        match bytes.first() {
            None => Err(ParseError::Missing { field: FIELD }),
            Some(b) if b & 0x80 != 0 => Err(ParseError::invalid(FIELD, "must be positive")),
            Some(_) => Self::from_magnitude(bytes),
        }
    }

    /// Big-endian magnitude, no leading zero bytes.
    pub fn magnitude(&self) -> &[u8] {
        &self.0
    }

    /// Content octets of the DER INTEGER: the magnitude with a zero byte in front
    /// when its top bit is set, so it stays positive.
    pub fn der_integer_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        if self.0[0] & 0x80 != 0 {
            out.push(0);
        }
        out.extend_from_slice(&self.0);
        out
    }

    pub fn to_hex(&self) -> String {
        hex::encode_upper(&self.0)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl serde::Serialize for Serial {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openssl_forms() {
        let a = Serial::parse("serial=0A1B2C").unwrap();
        let b = Serial::parse("0a:1b:2c").unwrap();
        let c = Serial::parse("A1B2C").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_hex(), "0A1B2C");
    }

    #[test]
    fn der_integer_keeps_positive() {
        let s = Serial::parse("80FF").unwrap();
        assert_eq!(s.der_integer_bytes(), vec![0x00, 0x80, 0xFF]);
        assert_eq!(Serial::from_der_integer(&[0x00, 0x80, 0xFF]).unwrap(), s);
        assert!(Serial::from_der_integer(&[0x80]).is_err());
    }

    #[test]
    fn rejects_garbage_zero_and_overlong() {
        let msg = |s: &str| Serial::parse(s).unwrap_err().to_string();
        assert!(msg("xyz").contains("hexadecimal"));
        assert_eq!(msg("0000"), "serial: must not be zero");
        assert_eq!(msg(&"AB".repeat(21)), "serial: longer than 20 bytes");
        assert_eq!(msg(""), "serial is required");
    }
}
