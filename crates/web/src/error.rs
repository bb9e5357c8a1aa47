//! How failures become responses, in one place.
//!
//! Handlers return `Result<_, WebError>` and use `?`. Every crate's error has
//! one mapping here to a status and a message for the person who asked
//! (`From` impls, [`ra_status`]). A `WebError` answers with its status, a plain
//! text body and a [`Failure`] in the response's extensions; each surface's
//! layer then draws it its own way: the portal as an error page in the reader's
//! language ([`crate::portal`]), the back office as its own error page
//! ([`crate::admin`]), the JSON APIs as `{"error": …}` in the client's
//! Accept-Language ([`json_errors`]). Internal errors are logged once with
//! their chain and shown as an opaque 500; a database that cannot serve is a
//! 503, never "not found" or an empty default.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, http::header};
use ca::{CaError, PkiError};
use domain::Msg;
use ra::RaError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Not ready to answer (the CA is not initialised yet, the database is
    /// away).
    #[error("{0}")]
    Unavailable(String),
    /// What the RA refused, with its translatable message.
    #[error(transparent)]
    Ra(RaError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a failed response carries for the surface's layer to draw.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    /// The message, translatable (portal, JSON).
    pub msg: Msg,
    /// The message in Chinese with every detail (back office).
    pub zh: String,
}

/// What a client is told while the database cannot serve.
const UNAVAILABLE: &str = ra::UNAVAILABLE;
const INTERNAL: &str = "服务器内部错误，请稍后重试";

/// The status of every RA refusal.
pub(crate) fn ra_status(e: &RaError) -> StatusCode {
    if e.is_unavailable() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match e {
        RaError::NotFound => StatusCode::NOT_FOUND,
        RaError::Conflict(_) => StatusCode::CONFLICT,
        RaError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        RaError::Upload(_) => StatusCode::UNPROCESSABLE_ENTITY,
        RaError::Handoff(_) | RaError::Forbidden | RaError::NotYours(_) => StatusCode::FORBIDDEN,
        RaError::SignInFailed | RaError::BadApiKey => StatusCode::UNAUTHORIZED,
        RaError::SmsFailed(_) | RaError::Blob(_) | RaError::Store(_) | RaError::Ca(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

impl WebError {
    /// Anything unexpected: logged with its chain, shown as a plain 500.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        WebError::Internal(Box::new(e))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Ra(e) => ra_status(e),
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the person or client is told, ready for translation.
    pub fn failure(&self) -> Failure {
        let status = self.status();
        let (msg, zh) = match self {
            WebError::Internal(_) => (Msg::new(INTERNAL), INTERNAL.to_string()),
            WebError::Ra(e) if status.is_server_error() => {
                let m = e.msg();
                (m.clone(), m.to_string())
            }
            WebError::Ra(e) => (e.msg(), e.to_string()),
            // Free text (a parser's words): shown as it is.
            WebError::BadRequest(s) | WebError::NotFound(s) | WebError::Unavailable(s) => {
                (Msg::new("{text}").arg("text", s), s.clone())
            }
        };
        Failure { status, msg, zh }
    }

    /// What the person or client is told, in Chinese.
    pub fn public_message(&self) -> String {
        self.failure().msg.to_string()
    }

    fn log(&self) {
        match self {
            WebError::Internal(e) => {
                let mut chain = e.to_string();
                let mut src = e.source();
                while let Some(s) = src {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    src = s.source();
                }
                tracing::error!(error = %chain, "request failed");
            }
            WebError::Ra(e) if e.is_unavailable() => {
                tracing::warn!(error = ?e, "the database cannot serve the request for now");
            }
            WebError::Ra(e) if ra_status(e).is_server_error() => {
                tracing::error!(error = ?e, "request failed");
            }
            _ => {}
        }
    }
}

impl From<RaError> for WebError {
    fn from(e: RaError) -> Self {
        WebError::Ra(e)
    }
}

impl From<CaError> for WebError {
    fn from(e: CaError) -> Self {
        match e {
            CaError::Store(s) if s.is_unavailable() => {
                tracing::warn!(error = ?s, "the database cannot serve the request for now");
                WebError::Unavailable(UNAVAILABLE.into())
            }
            CaError::Store(_)
            | CaError::Pki(
                PkiError::Signing
                | PkiError::Encoding(_)
                | PkiError::KeyAccess(_)
                | PkiError::Pkcs11(_),
            ) => WebError::Internal(Box::new(e)),
            CaError::UnknownCertificate(_) => WebError::NotFound(e.to_string()),
            CaError::NotInitialised => WebError::Unavailable(e.to_string()),
            CaError::Kmc(why) => {
                tracing::warn!(kmc.error = %why, "the KMC could not deliver an encryption key pair");
                WebError::Unavailable(ra::KMC_UNAVAILABLE.into())
            }
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = ?e, "the database cannot serve the request for now");
            return WebError::Unavailable(UNAVAILABLE.into());
        }
        WebError::Internal(Box::new(e))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(Box::new(e))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let failure = self.failure();
        let mut resp = (
            failure.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            failure.zh.clone(),
        )
            .into_response();
        resp.extensions_mut().insert(failure);
        resp
    }
}

/// The JSON APIs' layer: a failure becomes `{"error": "…"}` in the client's
/// language (Accept-Language), with its status.
pub(crate) async fn json_errors(req: Request, next: Next) -> Response {
    let tr = crate::api::client_tr(req.headers());
    let resp = next.run(req).await;
    match resp.extensions().get::<Failure>() {
        Some(f) => {
            let body = serde_json::json!({ "error": tr.msg(&f.msg) });
            (f.status, Json(body)).into_response()
        }
        None => resp,
    }
}
