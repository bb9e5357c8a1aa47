//! What the forms of every business share: the stored form of an application
//! (`ApplicationForm`), the subject and contacts (`SubjectFields`), how a key
//! reaches the holder (`Medium`, `ShipTo`), and the checks of those fields.
//! Each business's own form, as typed, is in its module; every form is parsed
//! field by field, every error kept next to its field, nothing saved unless
//! all of it is valid.

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

/// The subject and the contacts as the holder typed them (and, for 证书变更,
/// the reason): stored normalised once checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SubjectFields {
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

/// The stored form of an application, whatever its business: the certificate
/// it starts from (if any), what the holder asks for, and for a business sold
/// by the year the term and the price per year. Kept as JSON in the
/// application's row; fields a business does not use keep their defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplicationForm {
    pub old: OldSubject,
    pub fields: SubjectFields,
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
    /// 在线补办 of a 双证书: the earlier encryption keys are asked back into
    /// the new key (`crate::earlier_keys`).
    #[serde(default)]
    pub restore_earlier_keys: bool,
}

impl ApplicationForm {
    /// The form as the application's row keeps it.
    #[expect(
        clippy::expect_used,
        reason = "derived Serialize of strings, numbers, booleans and unit enums: serde_json cannot fail"
    )]
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("forms serialise")
    }
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

/// The contact mobile (required) and e-mail (optional), normalised; the error of
/// each wrong one goes into `errors`.
pub(crate) fn contacts(mobile: &str, email: &str, errors: &mut FieldErrors) -> (String, String) {
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

pub use crate::FieldErrors;

pub(crate) fn note(errors: &mut FieldErrors, field: &'static str, e: ParseError) {
    let msg = match e {
        ParseError::Missing { .. } => Msg::new("此项为必填项"),
        ParseError::Invalid { reason, .. } => reason,
    };
    errors.insert(field, msg);
}

impl SubjectFields {
    /// The subject and contacts, normalised; the error of every wrong field
    /// goes into `errors`.
    pub(crate) fn check_subject(
        &self,
        cert_type: ProfileKind,
        errors: &mut FieldErrors,
    ) -> SubjectFields {
        let mut out = SubjectFields::default();
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

/// The term in years (1 to `MAX_YEARS`), or its error in `errors` (and 0).
pub(crate) fn years(raw: &str, errors: &mut FieldErrors) -> u32 {
    match raw.trim().parse::<u32>() {
        Ok(y) if (1..=MAX_YEARS).contains(&y) => y,
        _ => {
            errors.insert(
                "years",
                Msg::new("请选择 1 至 {max} 年").arg("max", MAX_YEARS),
            );
            0
        }
    }
}

/// How a key reaches the holder, as typed (在线新办, 在线补办).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryFields {
    #[serde(default)]
    pub medium: String,
    #[serde(default)]
    pub ship_name: String,
    #[serde(default)]
    pub ship_phone: String,
    #[serde(default)]
    pub ship_address: String,
}

const MAX_ADDRESS: usize = 120;

impl DeliveryFields {
    /// The medium and, for a mailed key, the address; errors go into `errors`.
    pub(crate) fn check(&self, errors: &mut FieldErrors) -> (Medium, ShipTo) {
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
                Err(e) => note(errors, "ship_name", e),
            }
            match Mobile::parse(&self.ship_phone) {
                Ok(v) => ship_to.phone = v.as_str().to_string(),
                Err(e) => note(errors, "ship_phone", e),
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
        (medium, ship_to)
    }

    /// As typed, from what was stored (the form shown again).
    pub fn of(form: &ApplicationForm) -> Self {
        DeliveryFields {
            medium: form.medium.key().into(),
            ship_name: form.ship_to.name.clone(),
            ship_phone: form.ship_to.phone.clone(),
            ship_address: form.ship_to.address.clone(),
        }
    }
}

/// A ticked checkbox as a form sends it (`on`), or an unticked one.
pub(crate) fn checkbox(ticked: bool) -> String {
    if ticked { "on".into() } else { String::new() }
}
