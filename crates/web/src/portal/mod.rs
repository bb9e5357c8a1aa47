//! The holder portal: sign-in, 自助服务, the 证书变更 application (form,
//! materials, confirmation), 个人中心, and the assistant hand-off landing.
//! Chapters 二 and 三 of the manual, screen by screen.

mod apply;
mod auth;
mod files;
mod handoff;
mod me;
mod revoke;
mod selfservice;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use ra::RaError;
use store::holders::HolderRow;

use crate::AppState;
use crate::page::{Page, encode};
use crate::session::Session;

pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/signin", get(auth::form).post(auth::verify))
        .route("/signin/code", post(auth::send_code))
        .route("/signout", post(auth::sign_out))
        .route("/lang/{lang}", get(auth::switch_language))
        .route("/selfservice", get(selfservice::hall))
        .route("/selfservice/{business}", get(selfservice::business))
        .route("/download", get(selfservice::download))
        .route(
            "/download/certhall-assistant",
            get(selfservice::assistant_build),
        )
        .route("/help", get(selfservice::help))
        .route("/handoff/continue", get(handoff::resume))
        .route("/handoff/{token}", get(handoff::open))
        .route("/apply/new", post(apply::start_new))
        .route("/apply/{id}", get(apply::current_step))
        .route("/apply/{id}/form", get(apply::form).post(apply::save_form))
        .route("/apply/{id}/materials", get(apply::materials))
        .route(
            "/apply/{id}/materials/{kind}",
            post(apply::upload).layer(DefaultBodyLimit::max(upload_limit + 64 * 1024)),
        )
        .route("/apply/{id}/submit", post(apply::submit))
        .route("/apply/{id}/revoke-code", post(revoke::send_code))
        .route("/apply/{id}/revoke", post(revoke::confirm))
        .route("/apply/{id}/done", get(apply::done))
        .route("/me", get(me::center))
        .route("/me/applications/{id}", get(me::detail))
        .route("/me/applications/{id}/cancel", post(me::cancel))
        .route("/me/applications/{id}/pickup-code", post(me::pickup_code))
        .route("/me/applications/{id}/received", post(me::received))
        .route("/me/certificates/{serial}/{business}", post(me::start))
        .route("/me/tokens/{serial}/unlock", post(me::unlock))
        .route("/materials/{id}", get(files::material))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    p: &'a Page,
    status: u16,
    message: String,
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub(crate) fn page_ok<T: Template>(t: &T) -> Response {
    render(StatusCode::OK, t)
}

/// 303 to `to`: after a POST, the browser GETs the next page.
pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

pub(crate) fn status_of(e: &RaError) -> StatusCode {
    if e.is_unavailable() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match e {
        RaError::NotFound => StatusCode::NOT_FOUND,
        RaError::Conflict(_) => StatusCode::CONFLICT,
        RaError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        RaError::Upload(_) => StatusCode::UNPROCESSABLE_ENTITY,
        RaError::Handoff(_) | RaError::Forbidden => StatusCode::FORBIDDEN,
        RaError::SignInFailed | RaError::BadApiKey => StatusCode::UNAUTHORIZED,
        RaError::SmsFailed(_) | RaError::Blob(_) | RaError::Store(_) | RaError::Ca(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The error page for a refusal, in the page's language.
pub(crate) fn error_page(p: &Page, e: &RaError) -> Response {
    let status = status_of(e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = ?e, "request failed");
    } else if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(error = ?e, "the database cannot serve the request for now");
    }
    render(
        status,
        &ErrorPage {
            p,
            status: status.as_u16(),
            message: p.msg(&e.msg()),
        },
    )
}

pub(crate) fn internal(p: &Page, e: impl std::fmt::Debug) -> Response {
    tracing::error!(error = ?e, "request failed");
    render(
        StatusCode::INTERNAL_SERVER_ERROR,
        &ErrorPage {
            p,
            status: 500,
            message: p.t("error.internal"),
        },
    )
}

/// A signed-in holder; anyone else is sent to sign in and brought back.
pub struct SignedIn(pub HolderRow);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        match parts
            .extensions
            .get::<Session>()
            .and_then(|s| s.holder.clone())
        {
            Some(h) => Ok(SignedIn(h)),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(see_other(&format!("/signin?next={}", encode(here))))
            }
        }
    }
}

/// A local path to go to after sign-in; anything else (other sites, `//host`,
/// what a browser could read as one) becomes 个人中心.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::redirect::local_path)
        .unwrap_or("/me")
        .to_string()
}
