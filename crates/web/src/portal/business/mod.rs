//! 基本信息 (图 2.8) of every business: the page shows the form of the
//! application's business, and saving parses the body once into that
//! business's typed form (`ra::business::BusinessForm`) for the RA to check.
//! One module per business of the list (`domain::business_list!`) holds its
//! page, with the dispatch to them built from the list (`form_pages!` below):
//! 注销's form is confirmed with an SMS code (`revoke`), and 找回密码, which
//! has no application, holds the keys' lines of 个人中心 (`unlock`).

mod issue_page;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Business;
use ra::RaError;
use ra::business::BusinessForm;
use ra::pipeline::ApplicationView;

pub use new::start_new;

use super::SignedIn;
use super::apply::ExistingQuery;
use crate::page::Page;
use crate::respond::see_other;
use crate::{AppState, WebError};

/// Field → message, in the page's language.
type Errors = BTreeMap<&'static str, String>;

/// What the parts every 基本信息 page shares (the certificate box, the field
/// errors, the hint) ask of the page; a page says only what differs.
trait FormPage {
    fn errors(&self) -> &Errors;

    /// The message next to `field`, or nothing.
    fn error(&self, field: &str) -> String {
        self.errors().get(field).cloned().unwrap_or_default()
    }

    /// The old certificate's validity, where the business changes it.
    fn old_validity(&self) -> Option<&str> {
        None
    }

    /// The old certificate has run out (在线延期 counts from the writing).
    fn expired(&self) -> bool {
        false
    }

    /// A line under the heading.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// What every 基本信息 page is drawn with, besides its business's form.
struct Shown<'a> {
    state: &'a AppState,
    status: StatusCode,
    p: Page,
    app: ApplicationView,
    errors: Errors,
    /// The holder was sent back to the application they already had.
    existing: bool,
}

/// One term on a form sold by the year: its price and the end it gives.
pub struct TermOption {
    pub years: u32,
    pub price: String,
    pub until: String,
}

/// `GET /apply/{id}/form`: the form as the holder last saved it.
pub async fn form(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<ExistingQuery>,
) -> Result<Response, WebError> {
    let app = state.ra.application(&holder.id, &id).await?;
    if !app.state.editable() {
        return Ok(see_other(&format!("/me/applications/{id}")));
    }
    // 找回密码 has no application (and no form).
    let Some(typed) = BusinessForm::stored(app.business, &app.form) else {
        return Err(RaError::NotFound.into());
    };
    let shown = Shown {
        state: &state,
        status: StatusCode::OK,
        p,
        app,
        errors: Errors::new(),
        existing: q.existing.is_some(),
    };
    page(shown, typed).await
}

/// `POST /apply/{id}/form`: saves 基本信息, or shows the form again with the
/// error of every wrong field (400), having saved nothing.
pub async fn save_form(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let app = state.ra.application(&holder.id, &id).await?;
    let typed = parse(app.business, &body)?;
    match state.ra.save_form(&holder.id, &id, &typed).await {
        Ok(()) => Ok(see_other(&format!("/apply/{id}/materials"))),
        Err(RaError::Form(errors)) => {
            let errors = errors.iter().map(|(k, m)| (*k, p.msg(m))).collect();
            let shown = Shown {
                state: &state,
                status: StatusCode::BAD_REQUEST,
                p,
                app,
                errors,
                existing: false,
            };
            page(shown, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The body as the typed form `T`. Fields left out are empty (and reported
/// by the checks).
fn typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::BadRequest(format!("表单格式不正确：{e}")))
}

/// Declares the page module of every business of the list and dispatches to
/// it: each has `async fn page(Shown, its ra::business::<name>::Form)`.
macro_rules! form_pages {
    ($( $(#[$doc:meta])* $V:ident => $m:ident { $($facts:tt)* } ),* $(,)?) => {
        $( pub(super) mod $m; )*

        /// The body as the typed form of `business`.
        fn parse(business: Business, body: &[u8]) -> Result<BusinessForm, WebError> {
            Ok(match business {
                $( Business::$V => BusinessForm::$V(typed(body)?), )*
            })
        }

        /// The page of the application's business with `typed` in its fields.
        async fn page(shown: Shown<'_>, typed: BusinessForm) -> Result<Response, WebError> {
            match typed {
                $( BusinessForm::$V(f) => $m::page(shown, f).await, )*
            }
        }
    };
}

domain::business_list!(form_pages);
