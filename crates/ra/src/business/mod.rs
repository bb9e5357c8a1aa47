//! The businesses of 自助服务, one module each, the same name in every layer
//! (`web/src/portal/business/<name>.rs`, `web/src/admin/review/<name>.rs`,
//! `docs/ARCHITECTURE.md` has the table). Each holds that business's form as
//! typed and its checks, how it is saved, and what is particular to it
//! (renewal terms, the seal hand-over, the SMS-confirmed 注销, PIN resets).
//! What every business shares — starting, the stored form, materials,
//! submission, payment hand-over, the state machine, review and issuance — is
//! in `crate::pipeline` and the shared modules, which the business modules
//! call.
//!
//! A business's form is a typed value ([`BusinessForm`]) parsed once at the
//! edge; [`Ra::save_form`] checks it and saves it or says what is wrong with
//! each field, saving nothing.

pub mod change;
mod form;
pub mod new;
pub mod reissue;
pub mod renew;
pub mod revoke;
pub mod seal;
pub mod unlock;
pub mod unlock_portal;

use domain::Business;
use store::applications::ApplicationRow;

pub use form::{
    ApplicationForm, DeliveryFields, MAX_YEARS, Medium, OldSubject, ShipTo, SubjectFields,
};

use crate::{Ra, RaError};

/// The 基本信息 form of an application, as the holder sent it, by business.
/// 注销 is confirmed with an SMS code in one step (`revoke`), 找回密码 has no
/// application form (`unlock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusinessForm {
    /// 证书变更: the new subject, the contacts and the reason.
    Change(SubjectFields),
    Renew(renew::RenewFields),
    New(new::NewFields),
    Reissue(reissue::ReissueFields),
    Seal(seal::SealFields),
}

impl BusinessForm {
    pub fn business(&self) -> Business {
        match self {
            BusinessForm::Change(_) => Business::Change,
            BusinessForm::Renew(_) => Business::Renew,
            BusinessForm::New(_) => Business::New,
            BusinessForm::Reissue(_) => Business::Reissue,
            BusinessForm::Seal(_) => Business::SealChange,
        }
    }

    /// The form of `business` as the holder last saved it (or as it was
    /// pre-filled), to show again; `None` for a business without one.
    pub fn stored(business: Business, form: &ApplicationForm) -> Option<BusinessForm> {
        let f = &form.fields;
        Some(match business {
            Business::Change => BusinessForm::Change(f.clone()),
            Business::Renew => BusinessForm::Renew(renew::RenewFields {
                years: form.years.max(1).to_string(),
                contact_mobile: f.contact_mobile.clone(),
                contact_email: f.contact_email.clone(),
            }),
            Business::New => BusinessForm::New(new::NewFields::of(form)),
            Business::Reissue => BusinessForm::Reissue(reissue::ReissueFields::of(form)),
            Business::SealChange => BusinessForm::Seal(seal::SealFields {
                contact_mobile: f.contact_mobile.clone(),
                contact_email: f.contact_email.clone(),
            }),
            Business::Revoke | Business::Unlock => return None,
        })
    }
}

impl Ra {
    /// What happens once an application is approved (by reviewers or
    /// automatically), by business; `mobile` is the holder's. Failures are
    /// logged and retried where the business keeps state for it (a revocation,
    /// a replaced certificate); the approval itself stands.
    pub(crate) async fn approved(&self, row: &ApplicationRow, mobile: &str) {
        match row.business {
            // Revoked at once; the holder hears of it from there.
            Business::Revoke => self.carry_out_revocation(&row.id).await,
            Business::New | Business::Reissue => self.issue_approved(row, mobile).await,
            Business::SealChange => {
                self.notify_holder(
                    mobile,
                    "您的签章变更申请已审核通过，请插入证书介质，在数字证书助手中运行签章变更，写入新印章。",
                )
                .await;
            }
            Business::Change | Business::Renew => {
                self.notify_holder(
                    mobile,
                    "您的证书业务申请已审核通过，请插入证书介质，打开数字证书助手完成证书更新。",
                )
                .await;
            }
            // 找回密码 has no application.
            Business::Unlock => {}
        }
    }

    /// Checks and saves the form of the holder's application `id`: every wrong
    /// field is reported (`RaError::Form`) and nothing is saved. A form of
    /// another business than the application's is `NotFound`.
    pub async fn save_form(
        &self,
        holder_id: &str,
        id: &str,
        form: &BusinessForm,
    ) -> Result<(), RaError> {
        match form {
            BusinessForm::Change(f) => self.save_change_form(holder_id, id, f).await,
            BusinessForm::Renew(f) => self.save_renew_form(holder_id, id, f).await,
            BusinessForm::New(f) => self.save_new_form(holder_id, id, f).await,
            BusinessForm::Reissue(f) => self.save_reissue_form(holder_id, id, f).await,
            BusinessForm::Seal(f) => self.save_seal_form(holder_id, id, f).await,
        }
    }
}
