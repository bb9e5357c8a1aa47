//! The 电子发票 form (图 2.11): 抬头类型 个人/单位, 名称, 纳税人识别号 (required and
//! checked for 单位), e-mail.

use domain::{CreditCode, Email, Msg};
use serde::{Deserialize, Serialize};

use crate::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TitleType {
    Personal,
    Company,
}

/// The invoice details as saved on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInfo {
    pub title_type: TitleType,
    pub title: String,
    #[serde(default)]
    pub tax_id: String,
    pub email: String,
}

impl InvoiceInfo {
    /// The details as the order keeps them.
    #[expect(
        clippy::expect_used,
        reason = "derived Serialize of strings and a unit enum: serde_json cannot fail"
    )]
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("invoice info serialises")
    }
}

/// As typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvoiceFields {
    #[serde(default)]
    pub title_type: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub email: String,
}

/// 纳税人识别号: the 18-character 统一社会信用代码 (check character verified), or an
/// older 15, 17 or 20-character number of digits and capitals.
pub fn tax_id(raw: &str) -> Result<String, Msg> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Err(Msg::new("此项为必填项"));
    }
    if s.len() == 18 {
        return CreditCode::parse(&s)
            .map(|c| c.to_string())
            .map_err(|e| match e {
                domain::ParseError::Invalid { reason, .. } => reason,
                domain::ParseError::Missing { .. } => Msg::new("此项为必填项"),
            });
    }
    if ![15, 17, 20].contains(&s.len())
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Err(Msg::new(
            "纳税人识别号应为 15、17、18 或 20 位数字或大写字母",
        ));
    }
    Ok(s)
}

impl InvoiceFields {
    pub fn validate(&self) -> Result<InvoiceInfo, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title_type = match self.title_type.as_str() {
            "company" => Some(TitleType::Company),
            "personal" => Some(TitleType::Personal),
            _ => {
                errors.insert("title_type", Msg::new("请选择抬头类型"));
                None
            }
        };
        let title = self.title.trim().to_string();
        if title.is_empty() {
            errors.insert("title", Msg::new("此项为必填项"));
        } else if title.chars().count() > 100 {
            errors.insert("title", Msg::new("不能超过 {max} 个字").arg("max", 100));
        }
        let mut tax = String::new();
        if title_type == Some(TitleType::Company) {
            match tax_id(&self.tax_id) {
                Ok(t) => tax = t,
                Err(m) => {
                    errors.insert("tax_id", m);
                }
            }
        }
        let email = match Email::parse(&self.email) {
            Ok(e) => e.to_string(),
            Err(domain::ParseError::Invalid { reason, .. }) => {
                errors.insert("email", reason);
                String::new()
            }
            Err(domain::ParseError::Missing { .. }) => {
                errors.insert("email", Msg::new("此项为必填项"));
                String::new()
            }
        };
        match (title_type, errors.is_empty()) {
            (Some(title_type), true) => Ok(InvoiceInfo {
                title_type,
                title,
                tax_id: tax,
                email,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_needs_a_valid_tax_id() {
        let mut f = InvoiceFields {
            title_type: "company".into(),
            title: "合肥某某科技有限公司".into(),
            tax_id: "91110108551385082A".into(),
            email: "a@example.com".into(),
        };
        let e = f.validate().unwrap_err();
        assert_eq!(e["tax_id"].to_string(), "校验位不正确");
        f.tax_id = "123".into();
        assert!(
            f.validate().unwrap_err()["tax_id"]
                .to_string()
                .contains("15、17、18 或 20 位")
        );
        f.tax_id = "91110108551385082q".into();
        assert_eq!(f.validate().unwrap().tax_id, "91110108551385082Q");
        let personal = InvoiceFields {
            title_type: "personal".into(),
            title: "张三".into(),
            tax_id: String::new(),
            email: "a@example.com".into(),
        };
        assert!(personal.validate().is_ok());
    }
}
