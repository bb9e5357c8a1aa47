//! The JSON API (`/api/v1`). For now: certificate status by serial.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use base64::Engine;
use ca::asn1time;
use ca::authority::pem;
use domain::{RevocationReason, Serial};
use serde::Serialize;

use crate::view::Status;
use crate::{AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/certificates/{serial}", get(certificate))
        .route("/api/v1/handoff/challenge", post(handoff_challenge))
        .route("/api/v1/handoff", post(handoff))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

#[derive(Serialize)]
struct CertificateJson {
    serial: String,
    status: Status,
    profile: String,
    subject: SubjectJson,
    not_before: String,
    not_after: String,
    revoked_at: Option<String>,
    revocation_reason: Option<&'static str>,
    certificate_pem: String,
}

#[derive(Serialize)]
struct SubjectJson {
    common_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_code: Option<String>,
    /// Masked: 110***********002X.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_number: Option<String>,
}

async fn certificate(
    State(s): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<CertificateJson>, WebError> {
    let serial = Serial::parse(&raw).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let row = crate::query::find_issued(&s, &serial).await?;
    let now = s.ra.now_ms();
    Ok(Json(CertificateJson {
        serial: row.serial.clone(),
        status: Status::of(&row, now),
        profile: row.profile.clone(),
        subject: SubjectJson {
            common_name: row.common_name.clone(),
            organization: row.organization.clone(),
            credit_code: row.credit_code.clone(),
            id_number: row.id_number_masked.clone(),
        },
        not_before: asn1time::rfc3339(row.not_before),
        not_after: asn1time::rfc3339(row.not_after),
        revoked_at: row.revoked_at.map(asn1time::rfc3339),
        revocation_reason: row
            .revocation_reason
            .and_then(|r| u8::try_from(r).ok())
            .and_then(RevocationReason::from_code)
            .map(RevocationReason::name),
        certificate_pem: pem("CERTIFICATE", row.cert_der.as_deref().unwrap_or_default()),
    }))
}

/// A refusal of a JSON API, in the RA's words (the layer translates it).
pub(crate) fn invalid(m: &'static str) -> WebError {
    ra::RaError::Invalid(domain::Msg::new(m)).into()
}

/// The language an API client asks for (Accept-Language), Chinese by default.
pub(crate) fn client_tr(headers: &HeaderMap) -> crate::i18n::Tr {
    let english = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("en"));
    crate::i18n::Tr(if english {
        crate::i18n::Lang::En
    } else {
        crate::i18n::Lang::Zh
    })
}

/// Step 1 of the hand-off: a fresh challenge for the assistant to sign.
async fn handoff_challenge(State(s): State<AppState>) -> Result<Json<::api::Challenge>, WebError> {
    let c = s.ra.handoff_challenge().await?;
    Ok(Json(::api::Challenge {
        sign: String::from_utf8(ra::handoff::signed_message(&c.nonce)).unwrap_or_default(),
        nonce: c.nonce,
        expires_at: asn1time::rfc3339(c.expires_at_ms),
    }))
}

/// Step 2: the proof of possession; answers with the single-use link.
async fn handoff(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Link>, WebError> {
    let req = serde_json::from_slice::<::api::HandoffRequest>(&body)
        .map_err(|_| invalid("请求格式不正确：需要 JSON 字段 certificate、nonce、signature"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = if req.certificate.trim_start().starts_with("-----BEGIN") {
        req.certificate.into_bytes()
    } else {
        b64.decode(req.certificate.trim())
            .map_err(|_| invalid("证书格式不正确"))?
    };
    let signature = b64
        .decode(req.signature.trim())
        .map_err(|_| invalid("签名不是有效的 base64"))?;
    let business = req
        .business
        .as_deref()
        .unwrap_or("change")
        .parse()
        .map_err(|_| invalid("未知的业务类型"))?;
    let link =
        s.ra.handoff_redeem(&cert, &req.nonce, &signature, business)
            .await?;
    Ok(Json(::api::Link {
        url: link.url,
        expires_at: asn1time::rfc3339(link.expires_at_ms),
    }))
}
