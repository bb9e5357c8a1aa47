//! Public PKI endpoints for relying parties: CA certificates, the CRL and the OCSP
//! responder (RFC 6960 POST and GET).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::{AppState, WebError};

const PKIX_CERT: &str = "application/pkix-cert";
const PKIX_CRL: &str = "application/pkix-crl";
const OCSP_RESPONSE: &str = "application/ocsp-response";
/// OCSP requests are a few hundred bytes; refuse anything much larger early.
const OCSP_MAX_REQUEST: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pki/root.crt", get(root))
        .route("/pki/issuing.crt", get(issuing))
        .route("/pki/ca.pem", get(chain))
        .route("/pki/crl", get(crl))
        .route(
            "/pki/ocsp",
            post(ocsp_post).layer(DefaultBodyLimit::max(OCSP_MAX_REQUEST)),
        )
        .route("/pki/ocsp/{*request}", get(ocsp_get))
}

fn der(content_type: &'static str, filename: &str, body: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn root(State(s): State<AppState>) -> Response {
    der(
        PKIX_CERT,
        "root.crt",
        Bytes::copy_from_slice(s.ra.root_der()),
    )
}

async fn issuing(State(s): State<AppState>) -> Response {
    der(
        PKIX_CERT,
        "issuing.crt",
        Bytes::copy_from_slice(s.ra.issuing_der()),
    )
}

async fn chain(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        s.ra.chain_pem().to_string(),
    )
        .into_response()
}

async fn crl(State(s): State<AppState>) -> Result<Response, WebError> {
    let crl = s.ra.current_crl().await?;
    // Caches may keep it until just before the next one is due at the latest;
    // we publish well before that, so a short max-age keeps clients current.
    Ok((
        [
            (header::CONTENT_TYPE, PKIX_CRL.to_string()),
            (header::CACHE_CONTROL, "public, max-age=60".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"issuing.crl\"".to_string(),
            ),
        ],
        crl.der.clone(),
    )
        .into_response())
}

async fn ocsp_post(State(s): State<AppState>, body: Bytes) -> Response {
    let answer = s.ra.ocsp(&body).await;
    (
        [
            (header::CONTENT_TYPE, OCSP_RESPONSE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        answer.der,
    )
        .into_response()
}

/// RFC 6960 Appendix A.1: the path is the URL-encoded base64 of the DER request.
async fn ocsp_get(State(s): State<AppState>, Path(encoded): Path<String>) -> Response {
    let answer = s.ra.ocsp(&ca::ocsp::decode_get(&encoded)).await;
    // No shared caching: a revocation must show within seconds, and our own
    // cache already spares the signatures.
    (
        [
            (header::CONTENT_TYPE, OCSP_RESPONSE),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        answer.der,
    )
        .into_response()
}
