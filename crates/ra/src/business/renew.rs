//! 在线延期: a certificate's holder buys more years, from 90 days before its end
//! (or after it, within the window of `domain::renewal`). The form is the term
//! (1 to 3 years, priced per year at the price the application was created
//! with) and the contacts. The pages show the old validity next to the new
//! one: before the new certificate exists its end is what issuing it now would
//! give (the paid years from the old end, or from now once the old one has
//! expired); after, the certificate's own.

use domain::{AppState, Business};
use store::applications::ApplicationRow;
use serde::{Deserialize, Serialize};

use super::form::{ApplicationForm, contacts, years};
use super::{Material, Prices};
use crate::pipeline::ApplicationView;
use crate::{FieldErrors, Msg, Ra, RaError};

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
        let years = years(&self.years, &mut errors);
        let (mobile, email) = contacts(&self.contact_mobile, &self.contact_email, &mut errors);
        if errors.is_empty() {
            Ok((years, mobile, email))
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalTerms {
    pub years: u32,
    pub old_not_before: i64,
    pub old_not_after: i64,
    pub new_not_after: i64,
    /// `new_not_after` is the issued certificate's, not an estimate.
    pub issued: bool,
}

impl Ra {
    /// The terms of a renewal application; `None` for other businesses.
    pub async fn renewal_terms(
        &self,
        app: &ApplicationView,
    ) -> Result<Option<RenewalTerms>, RaError> {
        if app.business != Business::Renew {
            return Ok(None);
        }
        let f = &app.form;
        let years = f.years.max(1);
        let issued = store::certificates::by_request_id(
            &mut *self.db.conn().await?,
            &format!("application:{}", app.row.id),
        )
        .await?
        .filter(|c| c.cert_der.is_some());
        let (new_not_after, issued) = match issued {
            Some(c) => (c.not_after, true),
            None => (
                domain::renewal::renewed_not_after(f.old_not_after, self.now_ms(), years),
                false,
            ),
        };
        Ok(Some(RenewalTerms {
            years,
            old_not_before: f.old_not_before,
            old_not_after: f.old_not_after,
            new_not_after,
            issued,
        }))
    }
}

/// Checks and saves the 在线延期 form: the term (which sets the price: the
/// price per year the application was created with, times the years) and
/// the contacts. On errors nothing is saved.
pub(crate) async fn save(
    ra: &Ra,
    holder_id: &str,
    id: &str,
    fields: &RenewFields,
) -> Result<(), RaError> {
    let app = ra.editable(holder_id, id, &[Business::Renew]).await?;
    let (years, mobile, email) = fields.validate().map_err(RaError::Form)?;
    let mut form = app.form.clone();
    form.years = years;
    form.fields.contact_mobile = mobile;
    form.fields.contact_email = email;
    form.complete = true;
    // A returned application keeps the price it was paid at.
    let price = (app.state == AppState::Draft).then(|| form.unit_fen * i64::from(years));
    if app.state == AppState::Returned && years != app.form.years {
        return Err(RaError::Form(
            [(
                "years",
                Msg::new("已支付的申请不能更改延期年限，如需更改请撤销后重新申请"),
            )]
            .into_iter()
            .collect(),
        ));
    }
    ra.store_form(id, &form, price).await
}

/// 在线延期's form: the term and the contacts.
pub type Form = RenewFields;

/// The form as last saved.
pub(crate) fn stored(form: &ApplicationForm) -> Option<Form> {
    Some(RenewFields {
        years: form.years.max(1).to_string(),
        contact_mobile: form.fields.contact_mobile.clone(),
        contact_email: form.fields.contact_email.clone(),
    })
}

/// Approved: the holder writes the new certificate with the assistant.
pub(crate) async fn approved(ra: &Ra, _row: &ApplicationRow, mobile: &str) {
    ra.notify_holder(mobile, super::WRITE_IN_ASSISTANT).await;
}

/// Nothing to prove: the old certificate's key proved the holder.
pub(crate) const MATERIALS: &[Material] = &[];

/// Per year of the term.
pub(crate) const PRICES: Prices = Prices::yuan(300, 100);

#[cfg(test)]
mod tests {
    use super::*;

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
}
