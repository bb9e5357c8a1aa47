//! 证书变更 (图 2.8): the holder asks for a new subject on their certificate.
//! The form is the subject and contacts and the reason for the change; it must
//! change something. After approval the new certificate (a new key pair in the
//! holder's key, through the assistant) replaces the old one, which is revoked
//! as superseded (`crate::issuance`).

use domain::{IdNumber, ProfileKind};

use super::form::{ApplicationForm, OldSubject, SubjectFields};
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

impl Ra {
    /// Checks and saves the 证书变更 基本信息 form. On errors nothing is saved.
    pub(crate) async fn save_change_form(
        &self,
        holder_id: &str,
        id: &str,
        fields: &SubjectFields,
    ) -> Result<(), RaError> {
        let app = self.editable(holder_id, id, &[Business::Change]).await?;
        let clean = fields
            .validate_change(app.cert_type, &app.form.old)
            .map_err(RaError::Form)?;
        let form = ApplicationForm {
            fields: clean,
            complete: true,
            ..app.form.clone()
        };
        self.store_form(id, &form, None).await
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
