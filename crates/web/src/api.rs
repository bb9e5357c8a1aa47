//! The JSON API (`/api/v1`). For now: certificate status by serial.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use ca::asn1time;
use ca::authority::pem;
use domain::{RevocationReason, Serial};
use serde::Serialize;

use crate::error::ApiError;
use crate::view::Status;
use crate::{AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/certificates/{serial}", get(certificate))
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
) -> Result<Json<CertificateJson>, ApiError> {
    let serial = Serial::parse(&raw).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let row = crate::query::find_issued(&s, &serial).await?;
    let now = s.authority.now_ms();
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
