//! Prometheus metrics: one recorder per process, rendered at `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;

use crate::AppState;

/// The process-wide recorder, installed on first use (tests start several
/// servers in one process; a second install would fail).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            #[expect(
                clippy::expect_used,
                reason = "set_buckets fails only for an empty list; ours is a non-empty constant"
            )]
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .expect("fixed bucket list is non-empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (embedding); then ours
            // simply sees nothing, which the metrics page makes obvious.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The metrics, to a scraper bearing the configured token. Without a token
/// configured, or with a wrong one, the route does not exist (404): route
/// and issuance counts are not for the public.
pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match (&state.metrics_token, presented) {
        (Some(token), Some(p)) => {
            let t = token.expose_secret().as_bytes();
            let p = p.as_bytes();
            // Constant time over the token's length.
            t.len() == p.len() && t.iter().zip(p).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.metrics.run_upkeep();
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Counts requests by route and status, and times them.
pub async fn track_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("certhall_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("certhall_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
