//! Pages that are not part of a business yet: home, and the stylesheet.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::{AppState, Branding, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/site.css", get(css))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    branding: &'a Branding,
    algorithm: &'a str,
}

async fn home(State(s): State<AppState>) -> Result<Html<String>, WebError> {
    let page = HomePage {
        branding: &s.branding,
        algorithm: s.authority.algorithm().name(),
    };
    Ok(Html(
        page.render().map_err(|e| WebError::Internal(Box::new(e)))?,
    ))
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
