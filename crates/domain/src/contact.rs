//! Contact details a holder types: mobile numbers and e-mail addresses.

use std::fmt;

use crate::ParseError;

/// A mainland China mobile number (11 digits, 1[3-9]…). Shown masked (138****1234).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const FIELD: &str = "手机号";
        let digits: String = raw
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if digits.is_empty() {
            return Err(ParseError::Missing { field: FIELD });
        }
        let b = digits.as_bytes();
        if b.len() != 11
            || !b.iter().all(u8::is_ascii_digit)
            || b[0] != b'1'
            || !(b'3'..=b'9').contains(&b[1])
        {
            return Err(ParseError::invalid(FIELD, "请输入 11 位中国大陆手机号"));
        }
        Ok(Mobile(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****1234
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

/// An e-mail address: one @, a dotted domain, no spaces, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const FIELD: &str = "电子邮箱";
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::Missing { field: FIELD });
        }
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        // What is saved must be what the mailer can send to: its own parser
        // has the last word (an address it refuses would be retried forever).
        if !valid || s.parse::<lettre::Address>().is_err() {
            return Err(ParseError::invalid(FIELD, "邮箱格式不正确"));
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        let m = Mobile::parse(" +86 138-1234-5678 ").unwrap();
        assert_eq!(m.as_str(), "13812345678");
        assert_eq!(m.masked(), "138****5678");
        assert_eq!(format!("{m:?}"), "Mobile(138****5678)");
        for bad in ["12812345678", "1381234567", "1381234567a", "23812345678"] {
            assert_eq!(
                Mobile::parse(bad).unwrap_err().to_string(),
                "手机号: 请输入 11 位中国大陆手机号",
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("zhang.san@example.com.cn").is_ok());
        for bad in [
            "zhang",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "@b.com",
            "a@.b.com",
            "a@b..com",
            // Accepted by the old check, refused by the mailer (issue 16).
            "x@a.cn\"><svg/onload=alert(1)>",
            "<a@b.cn>",
            "a@b.cn>",
            "a(b)@c.cn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
