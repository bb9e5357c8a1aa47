//! 证书变更 (图 2.8): the holder asks for a new subject on their certificate.
//! The form is the subject and contacts and the reason for the change; it must
//! change something. After approval the new certificate (a new key pair in the
//! holder's key, through the assistant) replaces the old one, which is revoked
//! as superseded (`crate::issuance`).

use domain::ProfileKind::{Enterprise as E, Individual as I};
use domain::{IdNumber, ProfileKind};
use store::applications::ApplicationRow;

use super::form::{ApplicationForm, OldSubject, SubjectFields};
use super::{Material, Prices};
use crate::{FieldErrors, Msg, Ra, RaError};
use domain::Business;

const MAX_REASON: usize = 200;

impl SubjectFields {
    /// Checks the fields for a certificate of `cert_type`; returns them normalised
    /// (trimmed, upper-case codes) or the error of every wrong field.
    pub fn validate_change(
        &self,
        cert_type: ProfileKind,
        old: &OldSubject,
    ) -> Result<SubjectFields, FieldErrors> {
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
}

/// Checks and saves the 证书变更 基本信息 form. On errors nothing is saved.
pub(crate) async fn save(
    ra: &Ra,
    holder_id: &str,
    id: &str,
    fields: &SubjectFields,
) -> Result<(), RaError> {
    let app = ra.editable(holder_id, id, &[Business::Change]).await?;
    let clean = fields
        .validate_change(app.cert_type, &app.form.old)
        .map_err(RaError::Form)?;
    let form = ApplicationForm {
        fields: clean,
        complete: true,
        ..app.form.clone()
    };
    ra.store_form(id, &form, None).await
}

/// 证书变更's 基本信息 form: the new subject, the contacts and the reason.
pub type Form = SubjectFields;

/// The form as last saved (pre-filled from the certificate at the start).
pub(crate) fn stored(form: &ApplicationForm) -> Option<Form> {
    Some(form.fields.clone())
}

/// Approved: the holder writes the new certificate with the assistant.
pub(crate) async fn approved(ra: &Ra, _row: &ApplicationRow, mobile: &str) {
    ra.notify_holder(mobile, super::WRITE_IN_ASSISTANT).await;
}

/// The materials of a typical provincial CA (research/domain-notes.md).
pub(crate) const MATERIALS: &[Material] = &[
    Material::required(E, "business_license", "营业执照副本", "Business licence (copy)"),
    Material::required(E, "change_notice", "工商变更通知书", "Registration change notice"),
    Material::required(E, "agent_id", "经办人身份证", "Agent's ID card"),
    Material::optional(
        E,
        crate::catalog::AUTHORIZATION,
        "授权委托书（经办人非法定代表人时提供）",
        "Letter of authorisation (if the agent is not the legal representative)",
    ),
    Material::required(I, "id_card", "身份证（正反面）", "ID card (both sides)"),
    Material::optional(I, "change_proof", "变更证明材料", "Proof of the change"),
];

/// Free.
pub(crate) const PRICES: Prices = Prices::FREE;

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
        let f = SubjectFields {
            common_name: " ".into(),
            organization: "新公司".into(),
            credit_code: "91110108551385082A".into(),
            contact_mobile: "123".into(),
            contact_email: "nope".into(),
            reason: String::new(),
            ..Default::default()
        };
        let e = f
            .validate_change(ProfileKind::Enterprise, &old())
            .unwrap_err();
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
    fn a_change_must_change_something() {
        let f = SubjectFields {
            common_name: "张三".into(),
            organization: "旧公司".into(),
            credit_code: "91110108551385082q".into(),
            contact_mobile: "13800138000".into(),
            reason: "更名".into(),
            ..Default::default()
        };
        let e = f
            .validate_change(ProfileKind::Enterprise, &old())
            .unwrap_err();
        assert_eq!(e["common_name"].to_string(), "新信息与原证书相同，无需变更");
        let ok = SubjectFields {
            organization: "新公司".into(),
            ..f
        }
        .validate_change(ProfileKind::Enterprise, &old())
        .unwrap();
        assert_eq!(ok.credit_code, "91110108551385082Q");
    }
}
