//! 统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and capitals without I, O, S,
//! V, Z); the last one is a check character computed from the first 17 with weights
//! 3^i mod 31.

use std::fmt;

use crate::{Msg, ParseError};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const FIELD: &str = "统一社会信用代码";

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(ParseError::Missing { field: FIELD });
        }
        if code.chars().count() != 18 {
            return Err(ParseError::invalid(FIELD, "应为 18 位"));
        }
        let mut values = [0u32; 18];
        for (i, b) in code.bytes().enumerate() {
            values[i] = match ALPHABET.iter().position(|&a| a == b) {
                Some(v) => v as u32,
                None => {
                    return Err(ParseError::invalid(
                        FIELD,
                        Msg::new("第 {position} 位字符 “{character}” 不合法")
                            .arg("position", i + 1)
                            .arg("character", b as char),
                    ));
                }
            };
        }
        let sum: u32 = WEIGHTS.iter().zip(&values[..17]).map(|(w, v)| w * v).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(ParseError::invalid(FIELD, "校验位不正确"));
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid code from 17 characters by appending the right check character,
    /// independently of `parse` (the check is recomputed from the standard's table).
    fn with_check(body: &str) -> String {
        let sum: usize = body
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| ALPHABET.iter().position(|&a| a == b).unwrap() * w as usize)
            .sum();
        let check = (31 - sum % 31) % 31;
        format!("{body}{}", ALPHABET[check] as char)
    }

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in ["91110108551385082Q", "91440300708461136T"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        assert!(CreditCode::parse(&with_check("91340100MA2RXXX0A")).is_ok());
    }

    #[test]
    fn normalises_case_and_whitespace() {
        let c = CreditCode::parse(" 91110108551385082q ").unwrap();
        assert_eq!(c.as_str(), "91110108551385082Q");
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        let err = CreditCode::parse("91110108551385082A").unwrap_err();
        assert_eq!(err.to_string(), "统一社会信用代码: 校验位不正确");
    }

    #[test]
    fn rejects_wrong_length_and_letters_outside_the_alphabet() {
        assert_eq!(
            CreditCode::parse("9111010855138508")
                .unwrap_err()
                .to_string(),
            "统一社会信用代码: 应为 18 位"
        );
        assert!(
            CreditCode::parse("9111010855138508IQ")
                .unwrap_err()
                .to_string()
                .contains("第 17 位")
        );
        assert_eq!(
            CreditCode::parse("").unwrap_err(),
            ParseError::Missing { field: FIELD }
        );
    }
}
