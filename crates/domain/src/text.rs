//! Free text that goes into a certificate subject (names, organisations).

use std::fmt;

use crate::ParseError;

/// X.520 upper bound for commonName and organizationName.
const MAX_CHARS: usize = 64;

/// A trimmed, non-empty, printable string of at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SubjectText(String);

impl SubjectText {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::Missing { field });
        }
        if s.chars().count() > MAX_CHARS {
            return Err(ParseError::invalid(field, "不能超过 64 个字符"));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::invalid(field, "不能包含控制字符"));
        }
        Ok(SubjectText(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubjectText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
