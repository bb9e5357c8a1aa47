//! The KMC on HTTP: `POST /kmc/v1/tasks` takes a DER `CARequest` and answers
//! a DER `KMRespond` (`application/octet-stream`), with the status saying
//! how it went (200 done or done before, 400 unreadable, 403 unknown CA or
//! bad signature, 409 task number reused, 503 try again); `GET
//! /kmc/v1/health` says whether it can answer (it needs its certificate and
//! its database).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::Kmc;

/// A task of a few hundred requests is a few hundred KB.
const BODY_LIMIT: usize = 1 << 20;

/// The KMC's routes.
pub fn router(kmc: Arc<Kmc>) -> Router {
    Router::new()
        .route("/kmc/v1/tasks", post(task))
        .route("/kmc/v1/health", get(health))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(kmc)
}

async fn task(State(kmc): State<Arc<Kmc>>, body: Bytes) -> Response {
    let answer = kmc.handle(&body).await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if answer.der {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    };
    (status, [(header::CONTENT_TYPE, kind)], answer.body).into_response()
}

async fn health(State(kmc): State<Arc<Kmc>>) -> Response {
    if kmc.certificate().is_none() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the KMC has no certificate from its CA yet",
        )
            .into_response();
    }
    match kmc.db().ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the KMC's database is unavailable",
        )
            .into_response(),
    }
}
