//! certhall's web layer: axum routers, one module per area, server-rendered pages.
//!
//! Handlers parse what arrives into domain types and call the authority (or, for
//! read-only lookups, the store); they never touch a private key. Errors are
//! mapped to responses in one place (`error`).

mod api;
mod error;
mod health;
pub mod metrics;
mod pages;
mod pki;
mod query;
mod state;
mod view;

use axum::Router;
use axum::middleware;
use tower_http::trace::TraceLayer;

pub use error::WebError;
pub use state::{AppState, Branding};

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::routes())
        .merge(pages::routes())
        .merge(pki::routes())
        .merge(query::routes())
        .merge(api::routes())
        .layer(middleware::from_fn(metrics::track_requests))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
