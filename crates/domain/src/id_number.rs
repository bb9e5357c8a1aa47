//! 居民身份证号码 (resident identity number), GB 11643-1999.
//!
//! 6-digit area code, 8-digit birth date, 3-digit sequence, and an ISO 7064 MOD 11-2
//! check character (0-9 or X). An ID number is personal data: `Display` masks it;
//! the full value is only reachable through `expose()`, for the certificate itself.

use std::fmt;

use crate::ParseError;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const FIELD: &str = "身份证号";

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let id = raw.trim().to_ascii_uppercase();
        if id.is_empty() {
            return Err(ParseError::Missing { field: FIELD });
        }
        let bytes = id.as_bytes();
        if bytes.len() != 18 {
            return Err(ParseError::invalid(FIELD, "应为 18 位"));
        }
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(ParseError::invalid(FIELD, "前 17 位应为数字"));
        }
        // Digits, checked above: at most four, so no overflow.
        let number = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
        };
        let (year, month, day) = (
            number(&bytes[6..10]),
            number(&bytes[10..12]),
            number(&bytes[12..14]),
        );
        if !(1900..=2100).contains(&year) || !is_valid_date(year, month, day) {
            return Err(ParseError::invalid(FIELD, "出生日期不正确"));
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if bytes[17] != CHECK[(sum % 11) as usize] {
            return Err(ParseError::invalid(FIELD, "校验位不正确"));
        }
        Ok(IdNumber(id))
    }

    /// The full number. Only for places that must carry it (the certificate).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 3 and last 4 characters: enough for a holder to recognise their own.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[..3], &self.0[14..])
    }
}

fn is_valid_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if crate::is_leap_year(i64::from(year)) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standards_example() {
        // The worked example of GB 11643-1999, appendix.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.expose(), "11010519491231002X");
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(format!("{id}"), "110***********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(110***********002X)");
    }

    #[test]
    fn accepts_lowercase_x() {
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn rejects_bad_check_digit_date_and_shape() {
        let msg = |s: &str| IdNumber::parse(s).unwrap_err().to_string();
        assert_eq!(msg("110105194912310021"), "身份证号: 校验位不正确");
        assert_eq!(msg("110105194902300028"), "身份证号: 出生日期不正确");
        assert_eq!(msg("1101051949123100"), "身份证号: 应为 18 位");
        assert_eq!(msg("11010519491231A02X"), "身份证号: 前 17 位应为数字");
        assert_eq!(msg(""), "身份证号 is required");
    }
}
