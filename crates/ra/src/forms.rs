//! The 基本信息 form of 证书变更 (图 2.8): parsed field by field, every error kept
//! next to its field, nothing saved unless all of it is valid.

use domain::{
    CreditCode, Email, IdNumber, Mobile, Msg, ParseError, ProfileKind, SubjectInfo, SubjectText,
};
use serde::{Deserialize, Serialize};

/// The subject of the certificate being changed, as it is now.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OldSubject {
    pub serial: String,
    pub common_name: String,
    pub organization: String,
    pub credit_code: String,
    /// Masked: the full number is only in the certificate itself.
    pub id_number_masked: String,
}

/// What the holder types, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChangeFields {
    #[serde(default)]
    pub common_name: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub contact_mobile: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub reason: String,
}

/// The stored form of an application that starts from a certificate (证书变更,
/// 在线延期): the certificate as it is, what the holder asks for, and for a
/// business sold by the year the term and the price per year.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChangeForm {
    pub old: OldSubject,
    pub fields: ChangeFields,
    /// True once the fields have been checked and saved.
    pub complete: bool,
    /// 在线延期: the years asked for (1–3); 0 for businesses without a term.
    #[serde(default)]
    pub years: u32,
    /// The price per year when the application was created (fen): a price
    /// changed later applies to new applications only.
    #[serde(default)]
    pub unit_fen: i64,
    /// The old certificate's validity (ms), shown next to the new one.
    #[serde(default)]
    pub old_not_before: i64,
    #[serde(default)]
    pub old_not_after: i64,
    /// 注销, 在线补办: the RFC 5280 reason the holder gave (`keyCompromise`, …).
    #[serde(default)]
    pub revoke_reason: String,
    /// 在线新办, 在线补办: how the key reaches the holder.
    #[serde(default)]
    pub medium: Medium,
    /// Where a mailed key goes.
    #[serde(default)]
    pub ship_to: ShipTo,
    /// 机构证书: the 经办人 is the 法定代表人 (no 授权委托书 needed).
    #[serde(default)]
    pub agent_is_representative: bool,
}

/// How the key of a new or reissued certificate reaches the holder.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    /// Not chosen yet.
    #[default]
    Unset,
    /// 邮寄: the operator writes the certificate into a key of the CA's and
    /// mails it.
    Mail,
    /// 自有证书介质: the holder writes it into their own blank key.
    Own,
}

impl Medium {
    pub fn key(self) -> &'static str {
        match self {
            Medium::Unset => "",
            Medium::Mail => "mail",
            Medium::Own => "own",
        }
    }
}

/// The address of a mailed key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShipTo {
    pub name: String,
    pub phone: String,
    pub address: String,
}

/// The 在线新办 and 在线补办 form as typed. 在线新办 asks for the subject and
/// the term; 在线补办 keeps the certificate's subject and end date and asks
/// what became of the old key (the reason it is revoked with).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueFields {
    #[serde(default)]
    pub subject: ChangeFields,
    #[serde(default)]
    pub years: String,
    #[serde(default)]
    pub medium: String,
    #[serde(default)]
    pub ship_name: String,
    #[serde(default)]
    pub ship_phone: String,
    #[serde(default)]
    pub ship_address: String,
    /// A checkbox: `on` when ticked.
    #[serde(default)]
    pub agent_is_representative: String,
    /// 在线补办 only.
    #[serde(default)]
    pub revoke_reason: String,
}

/// What 在线补办 may give as the old certificate's revocation reason: the key
/// is lost or broken.
pub const REISSUE_REASONS: [domain::RevocationReason; 2] = [
    domain::RevocationReason::KeyCompromise,
    domain::RevocationReason::CessationOfOperation,
];

/// `IssueFields` checked: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueChoice {
    pub subject: ChangeFields,
    pub years: u32,
    pub medium: Medium,
    pub ship_to: ShipTo,
    pub agent_is_representative: bool,
    pub revoke_reason: String,
}

const MAX_ADDRESS: usize = 120;

impl IssueFields {
    /// Checks the form of 在线新办 (`reissue` false: subject and years) or
    /// 在线补办 (`reissue` true: the revocation reason; the subject is the old
    /// certificate's and only the contacts are read); every wrong field is
    /// reported.
    pub fn validate(
        &self,
        cert_type: ProfileKind,
        reissue: bool,
    ) -> Result<IssueChoice, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut subject = ChangeFields::default();
        let mut years = 0;
        let mut revoke_reason = String::new();
        if reissue {
            match self
                .revoke_reason
                .parse::<domain::RevocationReason>()
                .ok()
                .filter(|r| REISSUE_REASONS.contains(r))
            {
                Some(r) => revoke_reason = r.name().to_string(),
                None => {
                    errors.insert("revoke_reason", Msg::new("请选择原证书介质的情况"));
                }
            }
            (subject.contact_mobile, subject.contact_email) = contacts(
                &self.subject.contact_mobile,
                &self.subject.contact_email,
                &mut errors,
            );
        } else {
            subject = self.subject.check_subject(cert_type, &mut errors);
            years = match self.years.trim().parse::<u32>() {
                Ok(y) if (1..=MAX_YEARS).contains(&y) => y,
                _ => {
                    errors.insert(
                        "years",
                        Msg::new("请选择 1 至 {max} 年").arg("max", MAX_YEARS),
                    );
                    0
                }
            };
        }
        let medium = match self.medium.trim() {
            "mail" => Medium::Mail,
            "own" => Medium::Own,
            _ => {
                errors.insert("medium", Msg::new("请选择证书介质的领取方式"));
                Medium::Unset
            }
        };
        let mut ship_to = ShipTo::default();
        if medium == Medium::Mail {
            match SubjectText::parse("ship_name", &self.ship_name) {
                Ok(v) if v.to_string().chars().count() <= 32 => ship_to.name = v.to_string(),
                Ok(_) => {
                    errors.insert("ship_name", Msg::new("不能超过 {max} 个字").arg("max", 32));
                }
                Err(e) => note(&mut errors, "ship_name", e),
            }
            match Mobile::parse(&self.ship_phone) {
                Ok(v) => ship_to.phone = v.as_str().to_string(),
                Err(e) => note(&mut errors, "ship_phone", e),
            }
            let address = self.ship_address.trim();
            let n = address.chars().count();
            if n == 0 {
                errors.insert("ship_address", Msg::new("此项为必填项"));
            } else if n < 6 {
                errors.insert(
                    "ship_address",
                    Msg::new("请填写详细地址（省、市、区县、街道门牌）"),
                );
            } else if n > MAX_ADDRESS {
                errors.insert(
                    "ship_address",
                    Msg::new("不能超过 {max} 个字").arg("max", MAX_ADDRESS),
                );
            } else if address.chars().any(char::is_control) {
                errors.insert("ship_address", Msg::new("地址中含有不可见字符"));
            } else {
                ship_to.address = address.to_string();
            }
        }
        if errors.is_empty() {
            Ok(IssueChoice {
                subject,
                years,
                medium,
                ship_to,
                agent_is_representative: cert_type == ProfileKind::Enterprise
                    && self.agent_is_representative == "on",
                revoke_reason,
            })
        } else {
            Err(errors)
        }
    }
}

/// The contact mobile (required) and e-mail (optional), normalised; the error of
/// each wrong one goes into `errors`.
fn contacts(mobile: &str, email: &str, errors: &mut FieldErrors) -> (String, String) {
    let mobile = match Mobile::parse(mobile) {
        Ok(v) => v.as_str().to_string(),
        Err(e) => {
            note(errors, "contact_mobile", e);
            String::new()
        }
    };
    let mut out = String::new();
    if !email.trim().is_empty() {
        match Email::parse(email) {
            Ok(v) => out = v.to_string(),
            Err(e) => note(errors, "contact_email", e),
        }
    }
    (mobile, out)
}

/// The longest term a holder may buy at once.
pub const MAX_YEARS: u32 = 3;

/// The 在线延期 form as typed: the term and how to reach the holder. The
/// subject is the certificate's and cannot change here.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RenewFields {
    #[serde(default)]
    pub years: String,
    #[serde(default)]
    pub contact_mobile: String,
    #[serde(default)]
    pub contact_email: String,
}

impl RenewFields {
    /// The years (1–3) and the contacts, normalised, or every wrong field.
    pub fn validate(&self) -> Result<(u32, String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let years = match self.years.trim().parse::<u32>() {
            Ok(y) if (1..=MAX_YEARS).contains(&y) => y,
            _ => {
                errors.insert(
                    "years",
                    Msg::new("请选择 1 至 {max} 年").arg("max", MAX_YEARS),
                );
                0
            }
        };
        let (mobile, email) = contacts(&self.contact_mobile, &self.contact_email, &mut errors);
        if errors.is_empty() {
            Ok((years, mobile, email))
        } else {
            Err(errors)
        }
    }

    /// The contacts alone (签章变更, which has no term), normalised.
    pub fn validate_contacts(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let found = contacts(&self.contact_mobile, &self.contact_email, &mut errors);
        if errors.is_empty() {
            Ok(found)
        } else {
            Err(errors)
        }
    }
}

pub use crate::FieldErrors;

const MAX_REASON: usize = 200;

fn note(errors: &mut FieldErrors, field: &'static str, e: ParseError) {
    let msg = match e {
        ParseError::Missing { .. } => Msg::new("此项为必填项"),
        ParseError::Invalid { reason, .. } => reason,
    };
    errors.insert(field, msg);
}

impl ChangeFields {
    /// Checks the fields for a certificate of `cert_type`; returns them normalised
    /// (trimmed, upper-case codes) or the error of every wrong field.
    pub fn validate(
        &self,
        cert_type: ProfileKind,
        old: &OldSubject,
    ) -> Result<ChangeFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut out = self.check_subject(cert_type, &mut errors);
        let reason = self.reason.trim();
        if reason.is_empty() {
            errors.insert("reason", Msg::new("请说明变更事项"));
        } else if reason.chars().count() > MAX_REASON {
            errors.insert(
                "reason",
                Msg::new("不能超过 {max} 个字").arg("max", MAX_REASON),
            );
        } else {
            out.reason = reason.to_string();
        }
        if errors.is_empty() {
            let same = out.common_name == old.common_name
                && match cert_type {
                    ProfileKind::Enterprise => {
                        out.organization == old.organization && out.credit_code == old.credit_code
                    }
                    // The old ID number is only known masked: compare what shows.
                    ProfileKind::Individual => IdNumber::parse(&out.id_number)
                        .map(|id| id.masked() == old.id_number_masked)
                        .unwrap_or(false),
                };
            if same {
                errors.insert("common_name", Msg::new("新信息与原证书相同，无需变更"));
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The subject and contacts, normalised; the error of every wrong field
    /// goes into `errors`.
    fn check_subject(&self, cert_type: ProfileKind, errors: &mut FieldErrors) -> ChangeFields {
        let mut out = ChangeFields::default();
        match SubjectText::parse("common_name", &self.common_name) {
            Ok(v) => out.common_name = v.to_string(),
            Err(e) => note(errors, "common_name", e),
        }
        match cert_type {
            ProfileKind::Enterprise => {
                match SubjectText::parse("organization", &self.organization) {
                    Ok(v) => out.organization = v.to_string(),
                    Err(e) => note(errors, "organization", e),
                }
                match CreditCode::parse(&self.credit_code) {
                    Ok(v) => out.credit_code = v.to_string(),
                    Err(e) => note(errors, "credit_code", e),
                }
            }
            ProfileKind::Individual => match IdNumber::parse(&self.id_number) {
                Ok(v) => out.id_number = v.expose().to_string(),
                Err(e) => note(errors, "id_number", e),
            },
        }
        (out.contact_mobile, out.contact_email) =
            contacts(&self.contact_mobile, &self.contact_email, errors);
        out
    }

    /// The subject the new certificate will carry.
    pub fn subject(&self, cert_type: ProfileKind) -> Result<SubjectInfo, ParseError> {
        SubjectInfo::parse(
            cert_type,
            Some(&self.common_name),
            Some(&self.organization)
                .filter(|s| !s.is_empty())
                .map(String::as_str),
            Some(&self.credit_code)
                .filter(|s| !s.is_empty())
                .map(String::as_str),
            Some(&self.id_number)
                .filter(|s| !s.is_empty())
                .map(String::as_str),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old() -> OldSubject {
        OldSubject {
            serial: "01".into(),
            common_name: "张三".into(),
            organization: "旧公司".into(),
            credit_code: "91110108551385082Q".into(),
            id_number_masked: String::new(),
        }
    }

    #[test]
    fn every_wrong_field_is_reported() {
        let f = ChangeFields {
            common_name: " ".into(),
            organization: "新公司".into(),
            credit_code: "91110108551385082A".into(),
            contact_mobile: "123".into(),
            contact_email: "nope".into(),
            reason: String::new(),
            ..Default::default()
        };
        let e = f.validate(ProfileKind::Enterprise, &old()).unwrap_err();
        assert_eq!(e["common_name"].to_string(), "此项为必填项");
        assert_eq!(e["credit_code"].to_string(), "校验位不正确");
        assert_eq!(
            e["contact_mobile"].to_string(),
            "请输入 11 位中国大陆手机号"
        );
        assert_eq!(e["contact_email"].to_string(), "邮箱格式不正确");
        assert_eq!(e["reason"].to_string(), "请说明变更事项");
        assert!(!e.contains_key("organization"));
    }

    #[test]
    fn a_renewal_is_for_one_to_three_years() {
        let f = |years: &str| RenewFields {
            years: years.into(),
            contact_mobile: "13800138000".into(),
            contact_email: String::new(),
        };
        assert_eq!(f("2").validate().unwrap().0, 2);
        for bad in ["0", "4", "", "两年", "-1"] {
            let e = f(bad).validate().unwrap_err();
            assert_eq!(e["years"].to_string(), "请选择 1 至 3 年", "{bad:?}");
        }
        let e = RenewFields {
            years: "1".into(),
            contact_mobile: "1380013800".into(),
            contact_email: "x@".into(),
        }
        .validate()
        .unwrap_err();
        assert!(e.contains_key("contact_mobile") && e.contains_key("contact_email"));
    }

    #[test]
    fn a_change_must_change_something() {
        let f = ChangeFields {
            common_name: "张三".into(),
            organization: "旧公司".into(),
            credit_code: "91110108551385082q".into(),
            contact_mobile: "13800138000".into(),
            reason: "更名".into(),
            ..Default::default()
        };
        let e = f.validate(ProfileKind::Enterprise, &old()).unwrap_err();
        assert_eq!(e["common_name"].to_string(), "新信息与原证书相同，无需变更");
        let ok = ChangeFields {
            organization: "新公司".into(),
            ..f
        }
        .validate(ProfileKind::Enterprise, &old())
        .unwrap();
        assert_eq!(ok.credit_code, "91110108551385082Q");
    }
}
