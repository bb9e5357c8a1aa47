//! Staff sign-in (name, password, dynamic code), the one-time set-up page, and
//! sign-out.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use ra::RaError;
use serde::Deserialize;

use super::{COOKIE, Frame, Signed};
use crate::WebError;
use crate::respond::{page_ok, render, see_other};
use crate::{AppState, cookies};

#[derive(Template)]
#[template(path = "admin/signin.html")]
struct SignInPage {
    f: Frame,
    name: String,
    next: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    set_up: Option<String>,
}

/// Only back-office paths, so the link cannot send anyone elsewhere.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::redirect::local_path)
        .filter(|p| {
            p.strip_prefix("/admin")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        })
        .unwrap_or("/admin")
        .to_string()
}

pub async fn form(f: Frame, Query(q): Query<SignInQuery>) -> Response {
    page_ok(&SignInPage {
        f: Frame { nav: "signin", ..f },
        name: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: q.set_up.map(|_| "账号设置完成，请登录"),
        error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    f: Frame,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let who = match state
        .ra
        .staff_sign_in(
            &form.name,
            &form.password,
            &form.code,
            &peer.ip().to_string(),
        )
        .await
    {
        Ok(w) => w,
        Err(e) => {
            let status = crate::error::ra_status(&e);
            if status.is_server_error() {
                return Err(e.into());
            }
            // A refusal (wrong password or code, too many tries) is said on
            // the form.
            return Ok(render(
                status,
                &SignInPage {
                    f: Frame { nav: "signin", ..f },
                    name: form.name.trim().chars().take(64).collect(),
                    next,
                    notice: None,
                    error: Some(e.to_string()),
                },
            ));
        }
    };
    let token = state.ra.start_staff_session(&who).await?;
    let mut resp = see_other(&next);
    let cookie = cookies::set_at(
        "/admin",
        COOKIE,
        &token,
        "Strict",
        None,
        state.secure_cookies,
    );
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

pub async fn sign_out(State(state): State<AppState>, s: Signed) -> Result<Response, WebError> {
    state.ra.end_staff_session(&s.token, &s.who).await?;
    let mut resp = see_other("/admin/signin");
    let cookie = cookies::set_at(
        "/admin",
        COOKIE,
        "",
        "Strict",
        Some(0),
        state.secure_cookies,
    );
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    f: Frame,
    name: String,
    role: &'static str,
    /// The secret in groups of four, for typing into an app by hand.
    secret: String,
    qr: String,
    errors: ra::FieldErrors,
}

impl SetupPage {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|m| m.to_string())
    }
}

async fn setup_page(
    state: &AppState,
    f: Frame,
    token: &str,
    errors: ra::FieldErrors,
) -> Result<SetupPage, RaError> {
    let view = state.ra.staff_setup(token).await?;
    let secret = view
        .secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SetupPage {
        f: Frame { nav: "signin", ..f },
        name: view.name,
        role: view.role.label_zh(),
        secret,
        qr: crate::view::qr_svg(&view.otpauth_uri).unwrap_or_default(),
        errors,
    })
}

pub async fn setup_form(
    State(state): State<AppState>,
    f: Frame,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let frame = Frame {
        nav: "signin",
        who: None,
        csrf: f.csrf.clone(),
        platform: f.platform.clone(),
    };
    let page = setup_page(&state, frame, &token, Default::default()).await?;
    Ok(page_ok(&page))
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    code: String,
}

pub async fn setup(
    State(state): State<AppState>,
    f: Frame,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, WebError> {
    match state
        .ra
        .finish_staff_setup(&token, &form.password, &form.confirm, &form.code)
        .await
    {
        Ok(()) => Ok(see_other("/admin/signin?set_up=1")),
        Err(RaError::Form(errors)) => {
            let frame = Frame {
                nav: "signin",
                who: None,
                csrf: f.csrf.clone(),
                platform: f.platform.clone(),
            };
            let page = setup_page(&state, frame, &token, errors).await?;
            Ok(render(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}
