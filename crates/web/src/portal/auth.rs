//! Sign-in by mobile number and SMS code (图 2.15's number comes from here),
//! sign-out, and the language switch.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Mobile, ParseError};
use serde::Deserialize;

use super::safe_next;
use crate::WebError;
use crate::page::Page;
use crate::respond::{page_ok, render, see_other};
use crate::session::{self, Session};
use crate::{AppState, cookies, i18n};

#[derive(Template)]
#[template(path = "portal/signin.html")]
struct SignInPage {
    p: Page,
    mobile: String,
    next: String,
    notice: Option<String>,
    mobile_error: Option<String>,
    code_error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(p: Page, Query(q): Query<NextQuery>) -> Response {
    let page = SignInPage {
        p: p.with_nav("signin"),
        mobile: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: None,
        mobile_error: None,
        code_error: None,
    };
    page_ok(&page)
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    next: Option<String>,
}

fn mobile_message(p: &Page, e: &ParseError) -> String {
    match e {
        ParseError::Missing { .. } => p.t("form.required"),
        ParseError::Invalid { reason, .. } => p.msg(reason),
    }
}

pub async fn send_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    p: Page,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let next = safe_next(f.next.as_deref());
    let mut page = SignInPage {
        p: p.with_nav("signin"),
        mobile: f.mobile.trim().to_string(),
        next,
        notice: None,
        mobile_error: None,
        code_error: None,
    };
    let mobile = match Mobile::parse(&f.mobile) {
        Ok(m) => m,
        Err(e) => {
            page.mobile_error = Some(mobile_message(&page.p, &e));
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    match state
        .ra
        .send_signin_code(&mobile, &peer.ip().to_string())
        .await
    {
        Ok(()) => {
            page.notice = Some(
                page.p
                    .t("signin.code_sent")
                    .replace("{mobile}", &mobile.masked()),
            );
            Ok(page_ok(&page))
        }
        Err(e) => {
            let status = crate::error::ra_status(&e);
            if status.is_server_error() {
                return Err(e.into());
            }
            // Too many codes asked for: said next to the number.
            page.mobile_error = Some(page.p.msg(&e.msg()));
            Ok(render(status, &page))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn verify(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(current): axum::Extension<Session>,
    p: Page,
    Form(f): Form<SignInForm>,
) -> Result<Response, WebError> {
    let mut page = SignInPage {
        p: p.with_nav("signin"),
        mobile: f.mobile.trim().to_string(),
        next: safe_next(f.next.as_deref()),
        notice: None,
        mobile_error: None,
        code_error: None,
    };
    let mobile = match Mobile::parse(&f.mobile) {
        Ok(m) => m,
        Err(e) => {
            page.mobile_error = Some(mobile_message(&page.p, &e));
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let holder = match state
        .ra
        .sign_in(&mobile, &f.code, &peer.ip().to_string())
        .await
    {
        Ok(h) => h,
        Err(e) => {
            let status = crate::error::ra_status(&e);
            if status.is_server_error() {
                return Err(e.into());
            }
            // A wrong, expired or used code, or too many tries: said next to
            // the code.
            page.code_error = Some(page.p.msg(&e.msg()));
            return Ok(render(status, &page));
        }
    };
    // A new session at sign-in; a hand-off opened before it carries over.
    let cookie = session::start(&state, &current, Some(&holder.id), &current.data).await?;
    let to = if current.data.handoff.is_some() {
        "/handoff/continue".to_string()
    } else {
        page.next.clone()
    };
    let mut resp = see_other(&to);
    session::set_cookie(&mut resp, cookie);
    Ok(resp)
}

pub async fn sign_out(
    State(state): State<AppState>,
    axum::Extension(current): axum::Extension<Session>,
) -> Result<Response, WebError> {
    let cookie = session::end(&state, &current).await?;
    let mut resp = see_other("/");
    session::set_cookie(&mut resp, cookie);
    Ok(resp)
}

pub async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = i18n::Lang::from_code(&lang).unwrap_or(i18n::Lang::Zh);
    let to = match q.next.as_deref() {
        Some(n) => safe_next(Some(n)),
        None => "/".into(),
    };
    let cookie = cookies::set(
        i18n::COOKIE,
        lang.code(),
        "Lax",
        Some(365 * 86_400),
        state.secure_cookies,
    );
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")),
            ),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}
