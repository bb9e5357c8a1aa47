//! Money in integer fen (分). Never floating point.

use std::fmt;

use crate::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn is_free(self) -> bool {
        self.0 == 0
    }

    /// Parses yuan as people write it: "300", "300.5", "300.50".
    pub fn parse_yuan(raw: &str) -> Result<Self, ParseError> {
        const FIELD: &str = "金额";
        let s = raw.trim().trim_start_matches('¥');
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || int.len() > 12
        {
            return Err(ParseError::invalid(FIELD, "请输入不超过两位小数的金额"));
        }
        let yuan: i64 = int
            .parse()
            .map_err(|_| ParseError::invalid(FIELD, "金额过大"))?;
        let fen: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        Ok(Fen(yuan * 100 + fen))
    }

    /// "300.00"
    pub fn yuan_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, (self.0 % 100).abs())
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_and_fen() {
        assert_eq!(Fen::parse_yuan("300").unwrap(), Fen(30000));
        assert_eq!(Fen::parse_yuan("0.5").unwrap(), Fen(50));
        assert_eq!(Fen::parse_yuan("¥12.34").unwrap(), Fen(1234));
        assert!(Fen::parse_yuan("1.234").is_err());
        assert!(Fen::parse_yuan("-1").is_err());
        assert_eq!(Fen(30000).to_string(), "¥300.00");
        assert_eq!(Fen(5).yuan_string(), "0.05");
    }
}
