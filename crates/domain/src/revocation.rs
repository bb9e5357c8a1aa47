//! RFC 5280 §5.3.1 revocation reasons, by the names RFC 5280 and OpenSSL use.

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    PrivilegeWithdrawn,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 6] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::PrivilegeWithdrawn,
    ];

    /// The CRLReason enumeration value.
    pub fn code(self) -> u8 {
        match self {
            RevocationReason::Unspecified => 0,
            RevocationReason::KeyCompromise => 1,
            RevocationReason::AffiliationChanged => 3,
            RevocationReason::Superseded => 4,
            RevocationReason::CessationOfOperation => 5,
            RevocationReason::PrivilegeWithdrawn => 9,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "keyCompromise",
            RevocationReason::AffiliationChanged => "affiliationChanged",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessationOfOperation",
            RevocationReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        }
    }

    /// How the portal shows the reason to a holder.
    pub fn label_zh(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "未指定",
            RevocationReason::KeyCompromise => "密钥泄露",
            RevocationReason::AffiliationChanged => "隶属关系变更",
            RevocationReason::Superseded => "已被取代",
            RevocationReason::CessationOfOperation => "停止使用",
            RevocationReason::PrivilegeWithdrawn => "权限撤销",
        }
    }
}

impl FromStr for RevocationReason {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(r) = Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
        {
            return Ok(r);
        }
        let why = match s.to_ascii_lowercase().as_str() {
            "" => return Err(ParseError::Missing { field: "reason" }),
            "certificatehold" | "removefromcrl" => {
                Msg::new("certificate hold is not supported: a revocation here is final")
            }
            "cacompromise" | "aacompromise" => {
                Msg::new("{value} applies to authorities, not to a holder's certificate")
                    .arg("value", s)
            }
            _ => Msg::new("unknown reason `{value}`; use one of {choices}")
                .arg("value", s)
                .arg("choices", Self::ALL.map(|r| r.name()).join(", ")),
        };
        Err(ParseError::invalid("reason", why))
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names_and_codes() {
        for r in RevocationReason::ALL {
            assert_eq!(r.name().parse::<RevocationReason>().unwrap(), r);
            assert_eq!(RevocationReason::from_code(r.code()), Some(r));
        }
        assert_eq!(
            "KEYCOMPROMISE".parse::<RevocationReason>().unwrap(),
            RevocationReason::KeyCompromise
        );
    }

    #[test]
    fn explains_refused_reasons() {
        let e = "certificateHold".parse::<RevocationReason>().unwrap_err();
        assert!(e.to_string().contains("not supported"));
        let e = "stolen".parse::<RevocationReason>().unwrap_err();
        assert!(e.to_string().contains("unknown reason `stolen`"));
    }
}
