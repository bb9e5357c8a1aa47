use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::render))
}

/// Liveness and readiness: the database answers.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.authority.db().ping().await.is_ok() {
        true => (StatusCode::OK, "ok\n"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}
