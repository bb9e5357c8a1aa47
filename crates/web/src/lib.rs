//! certhall's web layer: axum routers, one module per area, server-rendered pages.
//!
//! Handlers parse what arrives into domain types and call the RA or the authority
//! (or, for read-only lookups, the store); they never touch a private key. Every
//! page is in simplified Chinese or English (`i18n`), every state-changing form is
//! CSRF-checked (`csrf`), holders' sessions live in the database (`session`).

mod admin;
mod api;
mod assistant_api;
mod cookies;
mod csrf;
mod error;
mod health;
pub mod i18n;
mod issue_api;
pub mod metrics;
mod page;
mod pages;
mod pay;
mod pki;
mod portal;
mod query;
mod redirect;
mod respond;
mod session;
mod state;
pub mod upload;
mod view;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use admin::{Need, ROUTES as ADMIN_ROUTES};
pub use error::WebError;
pub use session::COOKIE as SESSION_COOKIE;
pub use state::{AppState, Branding};

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let upload_limit = state.ra.settings().upload_limit;
    Router::new()
        .merge(health::routes())
        .merge(pages::routes())
        .merge(pki::routes())
        .merge(query::routes())
        .merge(api::routes())
        .merge(assistant_api::routes())
        .merge(issue_api::routes())
        .merge(portal::routes(state.clone(), upload_limit))
        .merge(pay::routes(state.clone(), upload_limit))
        .merge(admin::guarded(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(middleware::from_fn(metrics::track_requests))
        .layer(TraceLayer::new_for_http())
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .with_state(state)
}

/// The Content-Security-Policy of every response that does not set its own.
/// The assistant's local bridge is the one other address pages may ask.
const CSP: &str = "default-src 'self'; img-src 'self' data:; connect-src 'self' http://127.0.0.1:47391; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// [`CSP`] for a page whose form is answered with a redirect to `url` (a
/// payment gateway): browsers apply `form-action` to a form's redirects too,
/// so without the gateway's origin 支付宝 would do nothing when clicked.
/// Alipay's own cashier then moves between its hosts, hence the wildcard.
pub(crate) fn csp_with_form_target(url: &str) -> Option<HeaderValue> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if !matches!(scheme, "http" | "https")
        || authority.is_empty()
        || !authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    let mut targets = format!("{scheme}://{authority}");
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host == "alipay.com" || host.ends_with(".alipay.com") {
        targets.push_str(" https://*.alipay.com");
    }
    HeaderValue::from_str(&format!("{CSP} {targets}")).ok()
}

/// Sets a header on every response unless the handler already chose one.
fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

#[cfg(test)]
mod tests {
    use super::csp_with_form_target;

    #[test]
    fn a_gateway_page_may_send_its_form_to_the_gateway_only() {
        let csp = csp_with_form_target("http://127.0.0.1:40123/alipay/gateway.do?x=1").unwrap();
        assert!(
            csp.to_str()
                .unwrap()
                .ends_with("form-action 'self' http://127.0.0.1:40123"),
            "{csp:?}"
        );
        let csp = csp_with_form_target("https://openapi.alipay.com/gateway.do").unwrap();
        assert!(
            csp.to_str()
                .unwrap()
                .ends_with("form-action 'self' https://openapi.alipay.com https://*.alipay.com"),
            "{csp:?}"
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://a b/",
            "https://x;script-src *",
        ] {
            assert!(csp_with_form_target(bad).is_none(), "{bad}");
        }
    }
}
