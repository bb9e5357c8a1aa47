//! Certificate profiles and the subject data each one needs.

use std::fmt;
use std::str::FromStr;

use crate::{CreditCode, IdNumber, Msg, ParseError, SubjectText};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    /// 个人证书: CN and 身份证号.
    Individual,
    /// 机构证书: CN, O and 统一社会信用代码.
    Enterprise,
}

impl ProfileKind {
    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Individual => "individual",
            ProfileKind::Enterprise => "enterprise",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ProfileKind::Individual => "个人证书",
            ProfileKind::Enterprise => "机构证书",
        }
    }
}

impl FromStr for ProfileKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "individual" => Ok(ProfileKind::Individual),
            "enterprise" => Ok(ProfileKind::Enterprise),
            other => Err(ParseError::invalid(
                "profile",
                Msg::new("unknown profile `{value}`; use individual or enterprise")
                    .arg("value", other),
            )),
        }
    }
}

impl fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The approved subject of a certificate. It comes from the application the staff
/// approved (or the operator's command line), never from the CSR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectInfo {
    Individual {
        common_name: SubjectText,
        id_number: IdNumber,
    },
    Enterprise {
        common_name: SubjectText,
        organization: SubjectText,
        credit_code: CreditCode,
    },
}

impl SubjectInfo {
    /// Builds the subject for `kind` from raw optional fields, naming the first one
    /// that is missing or wrong.
    pub fn parse(
        kind: ProfileKind,
        common_name: Option<&str>,
        organization: Option<&str>,
        credit_code: Option<&str>,
        id_number: Option<&str>,
    ) -> Result<Self, ParseError> {
        let cn = SubjectText::parse("cn", common_name.unwrap_or(""))?;
        match kind {
            ProfileKind::Individual => {
                let id = id_number.ok_or(ParseError::Missing {
                    field: "id-number (身份证号)",
                })?;
                Ok(SubjectInfo::Individual {
                    common_name: cn,
                    id_number: IdNumber::parse(id)?,
                })
            }
            ProfileKind::Enterprise => {
                let org = organization.unwrap_or(cn.as_str());
                let code = credit_code.ok_or(ParseError::Missing {
                    field: "credit-code (统一社会信用代码)",
                })?;
                Ok(SubjectInfo::Enterprise {
                    common_name: cn.clone(),
                    organization: SubjectText::parse("org", org)?,
                    credit_code: CreditCode::parse(code)?,
                })
            }
        }
    }

    pub fn kind(&self) -> ProfileKind {
        match self {
            SubjectInfo::Individual { .. } => ProfileKind::Individual,
            SubjectInfo::Enterprise { .. } => ProfileKind::Enterprise,
        }
    }

    pub fn common_name(&self) -> &SubjectText {
        match self {
            SubjectInfo::Individual { common_name, .. }
            | SubjectInfo::Enterprise { common_name, .. } => common_name,
        }
    }

    pub fn organization(&self) -> Option<&SubjectText> {
        match self {
            SubjectInfo::Enterprise { organization, .. } => Some(organization),
            SubjectInfo::Individual { .. } => None,
        }
    }

    pub fn credit_code(&self) -> Option<&CreditCode> {
        match self {
            SubjectInfo::Enterprise { credit_code, .. } => Some(credit_code),
            SubjectInfo::Individual { .. } => None,
        }
    }

    pub fn id_number(&self) -> Option<&IdNumber> {
        match self {
            SubjectInfo::Individual { id_number, .. } => Some(id_number),
            SubjectInfo::Enterprise { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enterprise_needs_a_valid_credit_code() {
        let e = SubjectInfo::parse(
            ProfileKind::Enterprise,
            Some("张三"),
            Some("某公司"),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "credit-code (统一社会信用代码) is required");
        let e = SubjectInfo::parse(
            ProfileKind::Enterprise,
            Some("张三"),
            Some("某公司"),
            Some("91110108551385082A"),
            None,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "统一社会信用代码: 校验位不正确");
    }

    #[test]
    fn individual_needs_an_id_number() {
        let e = SubjectInfo::parse(ProfileKind::Individual, Some("张三"), None, None, None)
            .unwrap_err();
        assert_eq!(e.field(), "id-number (身份证号)");
        let ok = SubjectInfo::parse(
            ProfileKind::Individual,
            Some("张三"),
            None,
            None,
            Some("11010519491231002X"),
        )
        .unwrap();
        assert_eq!(ok.kind(), ProfileKind::Individual);
    }

    #[test]
    fn unknown_profile_is_named() {
        let e = "server".parse::<ProfileKind>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "profile: unknown profile `server`; use individual or enterprise"
        );
    }
}
