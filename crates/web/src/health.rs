use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::render))
}

/// Liveness and readiness: the database answers.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.ra.ping().await {
        true => (StatusCode::OK, "ok\n"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

/// Readiness: the database takes a write (a one-row probe), so a full disk
/// or a read-only replica shows here while `/healthz`'s reads still pass.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.ra.write_probe().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = ?e, "the store cannot take a write");
            (StatusCode::SERVICE_UNAVAILABLE, "store unwritable\n")
        }
    }
}
