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
//! The modules are those of the business list (`domain::business_list!`), and
//! the dispatch to them is built from it (`business_modules!` below), so a new
//! business is its entry in the list and its module here. A business's form
//! is a typed value ([`BusinessForm`]) parsed once at the edge;
//! [`Ra::save_form`] checks it and saves it or says what is wrong with each
//! field, saving nothing.

mod form;
pub mod revoke_assistant;
pub mod unlock_portal;

use domain::{Business, Fen, ProfileKind};
use store::applications::ApplicationRow;

pub use form::{
    ApplicationForm, DeliveryFields, MAX_YEARS, Medium, OldSubject, ShipTo, SubjectFields,
};

use crate::{Ra, RaError};

/// The form of a business that has none (找回密码): no value can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum NoForm {}

/// A material a business asks for by default, per certificate type (the back
/// office may make a configured one optional, `crate::catalog`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Material {
    pub cert_type: ProfileKind,
    /// Stable key, e.g. `business_license`.
    pub kind: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub required: bool,
}

impl Material {
    const fn required(
        cert_type: ProfileKind,
        kind: &'static str,
        label_zh: &'static str,
        label_en: &'static str,
    ) -> Self {
        Material {
            cert_type,
            kind,
            label_zh,
            label_en,
            required: true,
        }
    }

    const fn optional(
        cert_type: ProfileKind,
        kind: &'static str,
        label_zh: &'static str,
        label_en: &'static str,
    ) -> Self {
        Material {
            required: false,
            ..Material::required(cert_type, kind, label_zh, label_en)
        }
    }
}

/// A business's default price (copied into the database on first start, then
/// the back office's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prices {
    pub enterprise: Fen,
    pub individual: Fen,
}

impl Prices {
    const FREE: Prices = Prices::yuan(0, 0);

    const fn yuan(enterprise: i64, individual: i64) -> Self {
        Prices {
            enterprise: Fen(enterprise * 100),
            individual: Fen(individual * 100),
        }
    }
}

/// What the holder is told when a business that writes into their key with
/// the assistant is approved.
const WRITE_IN_ASSISTANT: &str =
    "您的证书业务申请已审核通过，请插入证书介质，打开数字证书助手完成证书更新。";

/// Declares the module of every business of the list and dispatches to it.
/// Each module provides:
/// - `pub type Form`: its 基本信息 form as typed (`NoForm` when it has none);
/// - `fn stored(&ApplicationForm) -> Option<Form>`: the form as last saved
///   (or pre-filled), to show again;
/// - `async fn save(&Ra, holder_id, id, &Form) -> Result<(), RaError>`: checks
///   it and saves it, or reports every wrong field and saves nothing;
/// - `async fn approved(&Ra, &ApplicationRow, mobile)`: what happens once an
///   application is approved;
/// - `const MATERIALS: &[Material]` and `const PRICES: Prices`: the defaults
///   of a typical provincial CA (research/domain-notes.md).
macro_rules! business_modules {
    ($( $(#[$doc:meta])* $V:ident => $m:ident { $($facts:tt)* } ),* $(,)?) => {
        $( pub mod $m; )*

        /// The 基本信息 form of an application, as the holder sent it, by
        /// business: parsed once at the edge, checked by [`Ra::save_form`].
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum BusinessForm {
            $( $(#[$doc])* $V($m::Form), )*
        }

        impl BusinessForm {
            pub fn business(&self) -> Business {
                match self {
                    $( BusinessForm::$V(_) => Business::$V, )*
                }
            }

            /// The form of `business` as the holder last saved it (or as it
            /// was pre-filled), to show again; `None` for a business without
            /// one.
            pub fn stored(business: Business, form: &ApplicationForm) -> Option<BusinessForm> {
                match business {
                    $( Business::$V => $m::stored(form).map(BusinessForm::$V), )*
                }
            }
        }

        impl Ra {
            /// What happens once an application is approved (by reviewers or
            /// automatically), by business; `mobile` is the holder's. Failures
            /// are logged and retried where the business keeps state for it (a
            /// revocation, a replaced certificate); the approval itself stands.
            pub(crate) async fn approved(&self, row: &ApplicationRow, mobile: &str) {
                match row.business {
                    $( Business::$V => $m::approved(self, row, mobile).await, )*
                }
            }

            /// Checks and saves the form of the holder's application `id`:
            /// every wrong field is reported (`RaError::Form`) and nothing is
            /// saved. A form of another business than the application's is
            /// `NotFound`.
            pub async fn save_form(
                &self,
                holder_id: &str,
                id: &str,
                form: &BusinessForm,
            ) -> Result<(), RaError> {
                match form {
                    $( BusinessForm::$V(f) => $m::save(self, holder_id, id, f).await, )*
                }
            }
        }

        /// The default materials and prices of `business`.
        pub(crate) fn defaults(business: Business) -> (&'static [Material], Prices) {
            match business {
                $( Business::$V => ($m::MATERIALS, $m::PRICES), )*
            }
        }
    };
}

domain::business_list!(business_modules);
