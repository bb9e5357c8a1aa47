//! The holder portal: sign-in, 自助服务, the 证书变更 application (form,
//! materials, confirmation), 个人中心, and the assistant hand-off landing.
//! Chapters 二 and 三 of the manual, screen by screen.

mod apply;
mod auth;
mod business;
mod files;
mod handoff;
mod me;
mod selfservice;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use store::holders::HolderRow;

use crate::AppState;
use crate::error::Failure;
use crate::page::{Page, encode};
use crate::respond::{render, see_other};
use crate::session::Session;

pub fn routes(state: AppState, upload_limit: usize) -> Router<AppState> {
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
        .route(
            "/download/certhall-assistant.deb",
            get(selfservice::assistant_package),
        )
        .route("/help", get(selfservice::help))
        .route("/handoff/continue", get(handoff::resume))
        .route("/handoff/{token}", get(handoff::open))
        .route("/apply/new", post(business::start_new))
        .route("/apply/{id}", get(apply::current_step))
        .route(
            "/apply/{id}/form",
            get(business::form).post(business::save_form),
        )
        .route("/apply/{id}/materials", get(apply::materials))
        .route(
            "/apply/{id}/materials/{kind}",
            post(apply::upload).layer(DefaultBodyLimit::max(upload_limit + 64 * 1024)),
        )
        .route("/apply/{id}/submit", post(apply::submit))
        .route("/apply/{id}/revoke-code", post(business::revoke::send_code))
        .route("/apply/{id}/revoke", post(business::revoke::confirm))
        .route("/apply/{id}/done", get(apply::done))
        .route("/me", get(me::center))
        .route("/me/applications/{id}", get(me::detail))
        .route("/me/applications/{id}/cancel", post(me::cancel))
        .route("/me/applications/{id}/pickup-code", post(me::pickup_code))
        .route("/me/applications/{id}/received", post(me::received))
        .route("/me/certificates/{serial}/{business}", post(me::start))
        .route("/me/tokens/{serial}/unlock", post(business::unlock::unlock))
        .route("/materials/{id}", get(files::material))
        .layer(middleware::from_fn_with_state(state, page_errors))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    p: &'a Page,
    status: u16,
    message: String,
}

/// The portal's failures as error pages in the reader's language (see
/// `crate::error`).
pub(crate) async fn page_errors(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(p) = Page::from_request_parts(&mut parts, &state).await;
    let resp = next.run(Request::from_parts(parts, body)).await;
    match resp.extensions().get::<Failure>() {
        Some(f) => render(
            f.status,
            &ErrorPage {
                p: &p,
                status: f.status.as_u16(),
                message: if f.status.is_server_error()
                    && f.status != StatusCode::SERVICE_UNAVAILABLE
                {
                    p.t("error.internal")
                } else {
                    p.msg(&f.msg)
                },
            },
        ),
        None => resp,
    }
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
