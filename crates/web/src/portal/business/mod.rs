//! 基本信息 (图 2.8) of every business: the page shows the form of the
//! application's business, and saving parses the body once into that
//! business's typed form (`ra::business::BusinessForm`) for the RA to check.
//! One module per business holds its page (`change`, `renew`, `new`,
//! `reissue`, `seal`; 注销 is `super::revoke`, confirmed with an SMS code).

mod change;
mod issue_page;
mod new;
mod reissue;
mod renew;
mod seal;

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
    let Some(typed) = BusinessForm::stored(app.business, &app.form) else {
        return Ok(super::revoke::form(
            p,
            app,
            Default::default(),
            BTreeMap::new(),
            None,
        ));
    };
    let existing = q.existing.is_some();
    page(
        &state,
        p,
        app,
        typed,
        Errors::new(),
        existing,
        StatusCode::OK,
    )
    .await
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
            page(
                &state,
                p,
                app,
                typed,
                errors,
                false,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The body as the typed form of `business`. Fields left out are empty (and
/// reported by the checks); a business without a 基本信息 form is not found.
fn parse(business: Business, body: &[u8]) -> Result<BusinessForm, WebError> {
    fn typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| WebError::BadRequest(format!("表单格式不正确：{e}")))
    }
    Ok(match business {
        Business::Change => BusinessForm::Change(typed(body)?),
        Business::Renew => BusinessForm::Renew(typed(body)?),
        Business::New => BusinessForm::New(typed(body)?),
        Business::Reissue => BusinessForm::Reissue(typed(body)?),
        Business::SealChange => BusinessForm::Seal(typed(body)?),
        Business::Revoke | Business::Unlock => return Err(RaError::NotFound.into()),
    })
}

/// The page of the application's business with `typed` in its fields.
async fn page(
    state: &AppState,
    p: Page,
    app: ApplicationView,
    typed: BusinessForm,
    errors: Errors,
    existing: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let now = state.ra.now_ms();
    Ok(match typed {
        BusinessForm::Change(f) => change::page(status, p, app, f, errors, existing),
        BusinessForm::Renew(f) => renew::page(status, p, app, f, errors, existing, now),
        BusinessForm::New(f) => new::page(status, p, app, f, errors, existing, now),
        BusinessForm::Reissue(f) => reissue::page(status, p, app, f, errors, existing),
        BusinessForm::Seal(f) => seal::page(state, status, p, app, f, errors, existing).await?,
    })
}
