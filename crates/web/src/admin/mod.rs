//! The back office for CA staff under `/admin`: sign-in (password + TOTP), the
//! review desk, shipping, certificates, finance, products and the audit trail.
//!
//! Access is decided in one place: `ROUTES` names what every back-office route
//! needs, and `guard` looks each request up by its matched route before the
//! handler runs — a route missing from the table is refused, so a new page is
//! closed until someone says who may use it. The RA checks the role again for
//! every action. Staff sessions use their own cookie, limited to `/admin`,
//! SameSite=Strict, and end after 15 idle minutes.

mod audit;
mod auth;
mod certs;
mod finance;
mod products;
mod recovery;
mod review;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::Perm;
use ra::staff::StaffMember;

use crate::AppState;
use crate::csrf::CsrfToken;
use crate::error::Failure;
use crate::respond::render;

pub const COOKIE: &str = "certhall_staff";

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Sign-in and set-up pages.
    Anyone,
    /// Any signed-in staff member.
    Staff,
    Perm(Perm),
}

use Need::{Anyone, Staff};
use Perm as P;

/// Every back-office route: method, path as routed, and what it needs.
pub const ROUTES: &[(Method, &str, Need)] = &[
    (Method::GET, "/admin/signin", Anyone),
    (Method::POST, "/admin/signin", Anyone),
    (Method::GET, "/admin/setup/{token}", Anyone),
    (Method::POST, "/admin/setup/{token}", Anyone),
    (Method::POST, "/admin/signout", Staff),
    (Method::GET, "/admin", Staff),
    (
        Method::GET,
        "/admin/applications",
        Need::Perm(P::ViewApplications),
    ),
    (
        Method::GET,
        "/admin/applications/{id}",
        Need::Perm(P::ViewApplications),
    ),
    (
        Method::GET,
        "/admin/materials/{id}",
        Need::Perm(P::ViewApplications),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/approve",
        Need::Perm(P::Review),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/return",
        Need::Perm(P::Review),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/reject",
        Need::Perm(P::Review),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/release",
        Need::Perm(P::Review),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/ship",
        Need::Perm(P::Ship),
    ),
    (
        Method::POST,
        "/admin/applications/{id}/pickup-code",
        Need::Perm(P::Ship),
    ),
    (Method::GET, "/admin/unlocks", Need::Perm(P::Review)),
    (
        Method::POST,
        "/admin/unlocks/{id}/approve",
        Need::Perm(P::Review),
    ),
    (
        Method::POST,
        "/admin/unlocks/{id}/reject",
        Need::Perm(P::Review),
    ),
    (
        Method::GET,
        "/admin/certificates",
        Need::Perm(P::ViewCertificates),
    ),
    (
        Method::GET,
        "/admin/certificates/{serial}",
        Need::Perm(P::ViewCertificates),
    ),
    (
        Method::POST,
        "/admin/certificates/{serial}/revoke",
        Need::Perm(P::Revoke),
    ),
    (Method::GET, "/admin/finance", Need::Perm(P::ViewFinance)),
    (
        Method::GET,
        "/admin/finance/export/{what}",
        Need::Perm(P::ViewFinance),
    ),
    (
        Method::GET,
        "/admin/finance/receipts/{id}",
        Need::Perm(P::ViewFinance),
    ),
    (
        Method::POST,
        "/admin/finance/transfers/{id}/confirm",
        Need::Perm(P::ActFinance),
    ),
    (
        Method::POST,
        "/admin/finance/transfers/{id}/refuse",
        Need::Perm(P::ActFinance),
    ),
    (
        Method::POST,
        "/admin/finance/refunds/{id}/retry",
        Need::Perm(P::ActFinance),
    ),
    (
        Method::POST,
        "/admin/finance/refunds/{id}/paid",
        Need::Perm(P::ActFinance),
    ),
    (Method::GET, "/admin/products", Need::Perm(P::ViewProducts)),
    (
        Method::POST,
        "/admin/products/price",
        Need::Perm(P::EditProducts),
    ),
    (
        Method::POST,
        "/admin/products/material",
        Need::Perm(P::EditProducts),
    ),
    (Method::GET, "/admin/audit", Need::Perm(P::ViewAudit)),
    (Method::GET, "/admin/recovery", Need::Perm(P::RecoverKeys)),
    (Method::POST, "/admin/recovery", Need::Perm(P::RecoverKeys)),
    (
        Method::POST,
        "/admin/recovery/{id}/approve",
        Need::Perm(P::RecoverKeys),
    ),
    (
        Method::POST,
        "/admin/recovery/{id}/release",
        Need::Perm(P::RecoverKeys),
    ),
    (
        Method::GET,
        "/admin/recovery/{id}/key",
        Need::Perm(P::RecoverKeys),
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/signin", get(auth::form).post(auth::sign_in))
        .route(
            "/admin/setup/{token}",
            get(auth::setup_form).post(auth::setup),
        )
        .route("/admin/signout", post(auth::sign_out))
        .route("/admin", get(review::home))
        .route("/admin/applications", get(review::queue))
        .route("/admin/applications/{id}", get(review::detail))
        .route("/admin/materials/{id}", get(review::material))
        .route("/admin/applications/{id}/approve", post(review::approve))
        .route("/admin/applications/{id}/return", post(review::return_it))
        .route("/admin/applications/{id}/reject", post(review::reject))
        .route("/admin/applications/{id}/release", post(review::release))
        .route("/admin/applications/{id}/ship", post(review::ship))
        .route(
            "/admin/applications/{id}/pickup-code",
            post(review::pickup_code),
        )
        .route("/admin/unlocks", get(review::unlock::page))
        .route("/admin/unlocks/{id}/approve", post(review::unlock::approve))
        .route("/admin/unlocks/{id}/reject", post(review::unlock::reject))
        .route("/admin/certificates", get(certs::list))
        .route("/admin/certificates/{serial}", get(certs::detail))
        .route("/admin/certificates/{serial}/revoke", post(certs::revoke))
        .route("/admin/finance", get(finance::overview))
        .route("/admin/finance/export/{what}", get(finance::export))
        .route("/admin/finance/receipts/{id}", get(finance::receipt))
        .route(
            "/admin/finance/transfers/{id}/confirm",
            post(finance::confirm_transfer),
        )
        .route(
            "/admin/finance/transfers/{id}/refuse",
            post(finance::refuse_transfer),
        )
        .route(
            "/admin/finance/refunds/{id}/retry",
            post(finance::retry_refund),
        )
        .route(
            "/admin/finance/refunds/{id}/paid",
            post(finance::refund_paid),
        )
        .route("/admin/products", get(products::page))
        .route("/admin/products/price", post(products::set_price))
        .route("/admin/products/material", post(products::set_material))
        .route("/admin/audit", get(audit::page))
        .route("/admin/recovery", get(recovery::page).post(recovery::file))
        .route("/admin/recovery/{id}/approve", post(recovery::approve))
        .route("/admin/recovery/{id}/release", post(recovery::release))
        .route("/admin/recovery/{id}/key", get(recovery::key))
}

/// Adds the guard to the back-office routes (it needs the matched route, so it
/// runs after routing).
pub fn guarded(state: AppState) -> Router<AppState> {
    routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), page_errors))
        .route_layer(middleware::from_fn_with_state(state, guard))
}

fn need_of(method: &Method, path: &str) -> Option<Need> {
    // HEAD is answered like GET.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, n)| *n)
}

/// The signed-in staff member and their session token, for handlers.
#[derive(Clone)]
pub struct Signed {
    pub who: StaffMember,
    pub token: String,
}

async fn guard(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = matched.as_ref().map(|m| m.as_str()).unwrap_or_default();
    let Some(need) = need_of(req.method(), path) else {
        tracing::error!(path, method = %req.method(), "back-office route missing from the access table; refused");
        return forbidden();
    };
    if need == Anyone {
        return next.run(req).await;
    }
    let signed = match crate::cookies::get(req.headers(), COOKIE) {
        Some(token) => match state.ra.staff_session(&token).await {
            Ok(Some(who)) => Some(Signed { who, token }),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = ?e, "staff session lookup failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        },
        None => None,
    };
    let Some(signed) = signed else {
        if req.method() == Method::GET {
            let here = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/admin");
            return crate::respond::see_other(&format!(
                "/admin/signin?next={}",
                crate::page::encode(here)
            ));
        }
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "登录已过期，请重新登录 (signed out)",
        )
            .into_response();
    };
    if let Need::Perm(p) = need
        && !signed.who.role.may(p)
    {
        tracing::warn!(staff = %signed.who.name, role = %signed.who.role, path, "refused: role may not use this page");
        return forbidden();
    }
    req.extensions_mut().insert(signed);
    let mut resp = next.run(req).await;
    // Back-office pages hold personal data: never cached.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "没有权限访问该页面 (forbidden)",
    )
        .into_response()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Signed>()
            .cloned()
            .ok_or_else(forbidden)
    }
}

/// `?done=1` after a change redirected back: the page says it was done.
#[derive(Debug, serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

/// The frame of every back-office page.
pub struct Frame {
    pub who: Option<StaffMember>,
    pub csrf: String,
    pub nav: &'static str,
    pub platform: String,
}

impl Frame {
    pub fn may(&self, perm: &str) -> bool {
        let perm = match perm {
            "applications" => Perm::ViewApplications,
            "review" => Perm::Review,
            "ship" => Perm::Ship,
            "certificates" => Perm::ViewCertificates,
            "revoke" => Perm::Revoke,
            "finance" => Perm::ViewFinance,
            "act_finance" => Perm::ActFinance,
            "products" => Perm::ViewProducts,
            "edit_products" => Perm::EditProducts,
            "audit" => Perm::ViewAudit,
            "recovery" => Perm::RecoverKeys,
            _ => return false,
        };
        self.who.as_ref().is_some_and(|w| w.role.may(perm))
    }

    pub fn current(&self, item: &str) -> &'static str {
        if self.nav == item { "current" } else { "" }
    }

    pub fn role_label(&self) -> &'static str {
        self.who.as_ref().map(|w| w.role.label_zh()).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.who.as_ref().map(|w| w.name.as_str()).unwrap_or("")
    }
}

impl FromRequestParts<AppState> for Frame {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Frame {
            who: parts.extensions.get::<Signed>().map(|s| s.who.clone()),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            nav: "",
            platform: state.branding.platform_name.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage<'a> {
    f: &'a Frame,
    status: u16,
    message: String,
}

/// The back office's failures as its own error page: what was wrong, in
/// Chinese (see `crate::error`).
async fn page_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(f) = Frame::from_request_parts(&mut parts, &state).await;
    let resp = next.run(Request::from_parts(parts, body)).await;
    match resp.extensions().get::<Failure>() {
        Some(failure) => render(
            failure.status,
            &ErrorPage {
                f: &f,
                status: failure.status.as_u16(),
                message: failure.zh.clone(),
            },
        ),
        None => resp,
    }
}

/// Beijing time, to the minute.
pub(crate) fn when(ms: i64) -> String {
    ca::asn1time::beijing_minutes(ms)
}

/// Midnight in Beijing (UTC+8) of a `YYYY-MM-DD` day, in unix ms.
pub(crate) fn beijing_day_ms(day: &str) -> Option<i64> {
    let mut it = day.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((domain::calendar::days_from_civil(y, m, d) * 86_400 - 8 * 3_600) * 1_000)
}

/// Money as ¥1,234.00.
pub(crate) fn money(fen: i64) -> String {
    domain::Fen(fen).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_beijing_midnights() {
        // 2026-11-30 00:00 +08:00 is 2026-11-29 16:00 UTC.
        assert_eq!(
            beijing_day_ms("2026-11-30"),
            Some(1_795_996_800_000 - 8 * 3_600_000)
        );
        assert_eq!(beijing_day_ms("2026-13-01"), None);
        assert_eq!(beijing_day_ms("yesterday"), None);
    }

    #[test]
    fn every_route_is_in_the_access_table() {
        // Each routed path appears in ROUTES (the guard refuses the others, but a
        // page nobody can open is a bug too).
        let routed = include_str!("mod.rs")
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .map(str::to_string)
            .collect::<Vec<_>>();
        assert!(routed.len() > 10);
        for path in routed {
            assert!(
                ROUTES.iter().any(|(_, p, _)| *p == path),
                "{path} is routed but not in ROUTES"
            );
        }
    }
}
