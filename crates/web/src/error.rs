//! How failures become responses. Internal errors are logged once with their
//! chain and shown as an opaque 500; everything else says what was wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ca::{CaError, PkiError};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Not ready to answer (e.g. the CA is not initialised yet).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the person or client is told.
    pub fn public_message(&self) -> String {
        match self {
            WebError::Internal(_) => "服务器内部错误，请稍后重试 (internal error)".to_string(),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if let WebError::Internal(e) = self {
            let mut chain = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
    }
}

/// What a client is told while the database cannot serve.
const UNAVAILABLE: &str = "服务暂时不可用，请稍后再试 (the database is unavailable for now)";

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

/// JSON API errors: `{"error": "…"}` with the status code.
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({ "error": self.0.public_message() });
        (self.0.status(), Json(body)).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), self.public_message()).into_response()
    }
}
