//! Pages that belong to no business: home, the stylesheet, the operator's logo.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::page::Page;
use crate::respond::page_ok;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/site.css", get(css))
        .route("/static/site.js", get(js))
        .route("/branding/logo", get(logo))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    p: Page,
    algorithm: &'static str,
}

async fn home(State(s): State<AppState>, p: Page) -> Response {
    page_ok(&HomePage {
        p: p.with_nav("home"),
        algorithm: s.ra.algorithm_name(),
    })
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/site.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/site.js"),
    )
}

async fn logo(State(s): State<AppState>) -> Response {
    match &s.branding.logo {
        Some(logo) => (
            [
                (header::CONTENT_TYPE, logo.0.clone()),
                (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
            ],
            logo.1.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
