//! CSRF protection for every state-changing request of the pages.
//!
//! Two independent checks, both required:
//! - where the browser says where the request comes from (`Origin`,
//!   `Sec-Fetch-Site`), it must be this site;
//! - the request carries the token of the `certhall_csrf` cookie (double submit):
//!   as the `_csrf` form field, the `_csrf` query parameter (multipart forms), or
//!   the `X-CSRF-Token` header. A cross-site page can neither read the cookie nor
//!   set it (SameSite=Strict, HttpOnly).
//!
//! `/api/` (token-authenticated, no cookies), `/pki/` (OCSP) and `/pay/notify/`
//! (signed by the payment gateways) are exempt.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::{AppState, cookies};

pub const COOKIE: &str = "certhall_csrf";
pub const FIELD: &str = "_csrf";
/// Urlencoded forms are small; a larger one is not ours.
const MAX_FORM: usize = 64 * 1024;

/// The request's CSRF token, for forms to carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn exempt(path: &str) -> bool {
    // Token-authenticated APIs, OCSP, and the gateways' signed notifies.
    path.starts_with("/api/") || path.starts_with("/pki/") || path.starts_with("/pay/notify/")
}

fn same_origin(state: &AppState, req: &Request) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return false;
    }
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            origin == state.origin
                || headers
                    .get(HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|host| {
                        origin == format!("http://{host}") || origin == format!("https://{host}")
                    })
        }
    }
}

fn query_token(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

fn matches(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn refuse() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "请求已过期或来源不可信，请返回刷新页面后重试。\nThe request could not be verified (CSRF); go back, reload the page and try again.\n",
    )
        .into_response()
}

/// Reads (and drops) a small request body before refusing, so the client, still
/// sending, gets to read the answer instead of a reset connection.
async fn refuse_after_draining(req: Request) -> Response {
    let _ = to_bytes(req.into_body(), MAX_FORM).await;
    refuse()
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cookie = cookies::get(req.headers(), COOKIE).filter(|t| t.len() == 43);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method && !exempt(req.uri().path()) {
        if !same_origin(&state, &req) {
            tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
            return refuse_after_draining(req).await;
        }
        let Some(expected) = cookie.clone() else {
            return refuse_after_draining(req).await;
        };
        let mut presented = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| query_token(&req));
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if presented.is_none() && is_form {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
            };
            presented = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            req = Request::from_parts(parts, Body::from(bytes));
        }
        if !presented.is_some_and(|p| matches(&p, &expected)) {
            tracing::warn!(path = %req.uri().path(), "refused a request without a valid CSRF token");
            return refuse_after_draining(req).await;
        }
    }
    let (token, fresh) = match cookie {
        Some(t) => (t, false),
        None => (ra::random::token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    let is_page = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if fresh && is_page {
        let c = cookies::set(COOKIE, &token, "Strict", None, state.secure_cookies);
        resp.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    resp
}
