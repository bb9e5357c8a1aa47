//! The issuing API, `POST /api/v1/ca/issue`: for an integrator's RA that vets
//! applicants itself and needs certificates from our CA (what `cfssl serve`'s
//! sign endpoint offers). It takes a PKCS#10 and the approved subject, and goes
//! the same way as every issuance: CSR checks, the row recorded before signing,
//! the audit log in the certificate's transaction.
//!
//! The caller sends `Authorization: Bearer <key>` with a key from
//! `certhall staff api-key`; the key acts for a staff account whose role may
//! issue. Request ids are the caller's idempotency keys, kept apart per
//! account so one integrator can never be handed another's certificate.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ca::authority::{IssueRequest, pem};
use domain::{Perm, ProfileKind, SubjectInfo};

use crate::{AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ca/issue", post(issue))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

fn bad(why: impl Into<String>) -> Response {
    WebError::BadRequest(why.into()).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn issue(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let who = match ra::staff::api_keys::authenticate(&s.ra.db, bearer(&headers).unwrap_or(""))
        .await
        .and_then(|m| m.require(Perm::Issue).map(|()| m))
    {
        Ok(m) => m,
        Err(e) => return WebError::from(e).into_response(),
    };
    let req: ::api::IssueRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad(format!("request body: {e}")),
    };
    let kind: ProfileKind = match req.profile.parse() {
        Ok(k) => k,
        Err(e) => return bad(format!("profile: {e}")),
    };
    let subject = match SubjectInfo::parse(
        kind,
        Some(&req.common_name),
        req.organization.as_deref(),
        req.credit_code.as_deref(),
        req.id_number.as_deref(),
    ) {
        Ok(subject) => subject,
        Err(e) => return bad(e.to_string()),
    };
    if req.years.is_some() && req.days.is_some() {
        return bad("give years or days, not both");
    }
    if req.days.is_some_and(|d| d == 0 || d > 3660) {
        return bad("days: 1 to 3660");
    }
    let request_id = match req.request_id.as_deref().map(str::trim) {
        Some(id) if id.is_empty() || id.len() > 128 => {
            return bad("request_id: 1 to 128 characters");
        }
        Some(id) => id.to_string(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    let authority = &s.authority;
    let issued = authority
        .issue(IssueRequest {
            request_id: format!("api:{}:{request_id}", who.id),
            csr: req.csr.into_bytes(),
            subject,
            years: req.years.unwrap_or(1),
            not_after_ms: req
                .days
                .map(|d| authority.now_ms() + i64::from(d) * 86_400_000),
            actor: format!("api:{}", who.name),
        })
        .await;
    match issued {
        Ok(c) => (
            if c.replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            Json(::api::IssueAnswer {
                serial: c.serial.to_hex(),
                certificate: pem("CERTIFICATE", &c.cert_der),
                replayed: c.replayed,
            }),
        )
            .into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
