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
use ca::authority::pem;
use domain::{ProfileKind, SubjectInfo};
use ra::public::ApiIssue;

use crate::{AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ca/issue", post(issue))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn issue(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let who = s.ra.api_issuer(bearer(&headers).unwrap_or("")).await?;
    let req = parse(&body)?;
    let issued = s.ra.api_issue(&who, req).await?;
    let status = if issued.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let encryption = match &issued.encryption {
        Some(e) => {
            use base64::Engine;
            Some(::api::IssuedEncryption {
                serial: e.serial.to_hex(),
                certificate: pem("CERTIFICATE", &e.cert_der),
                enveloped_key: base64::engine::general_purpose::STANDARD.encode(
                    e.key_envelope()?
                        .to_sm2_enveloped_key()
                        .map_err(ca::CaError::from)?,
                ),
            })
        }
        None => None,
    };
    let answer = ::api::IssueAnswer {
        serial: issued.serial.to_hex(),
        certificate: pem("CERTIFICATE", &issued.cert_der),
        replayed: issued.replayed,
        encryption,
    };
    Ok((status, Json(answer)).into_response())
}

/// The request body, checked field by field (each refusal names its field).
fn parse(body: &[u8]) -> Result<ApiIssue, WebError> {
    let bad = |why: String| WebError::BadRequest(why);
    let req: ::api::IssueRequest =
        serde_json::from_slice(body).map_err(|e| bad(format!("request body: {e}")))?;
    let kind: ProfileKind = req
        .profile
        .parse()
        .map_err(|e| bad(format!("profile: {e}")))?;
    let subject = SubjectInfo::parse(
        kind,
        Some(&req.common_name),
        req.organization.as_deref(),
        req.credit_code.as_deref(),
        req.id_number.as_deref(),
    )
    .map_err(|e| bad(e.to_string()))?;
    if req.years.is_some() && req.days.is_some() {
        return Err(bad("give years or days, not both".into()));
    }
    if req.days.is_some_and(|d| d == 0 || d > 3660) {
        return Err(bad("days: 1 to 3660".into()));
    }
    let request_id = match req.request_id.as_deref().map(str::trim) {
        Some(id) if id.is_empty() || id.len() > 128 => {
            return Err(bad("request_id: 1 to 128 characters".into()));
        }
        Some(id) => id.to_string(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    Ok(ApiIssue {
        request_id,
        csr: req.csr.into_bytes(),
        subject,
        years: req.years.unwrap_or(1),
        days: req.days,
    })
}
