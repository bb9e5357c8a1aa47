//! 注销 (the holder revokes their own certificate): the reason, a note, and an
//! SMS code to the holder's mobile that confirms it. 获取验证码 posts the form
//! as typed to its own address, so the page comes back with what was chosen.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ra::RaError;
use ra::business::revoke::{HOLDER_REASONS, RevokeFields};
use ra::pipeline::ApplicationView;

use super::Shown;
use crate::portal::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::respond::{render, see_other};

/// One reason the holder may pick.
pub struct ReasonOption {
    pub key: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "portal/business/revoke.html")]
struct RevokeFormPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: RevokeFields,
    reasons: Vec<ReasonOption>,
    old_validity: String,
    errors: BTreeMap<&'static str, String>,
    /// 获取验证码 worked (to the masked mobile) or failed.
    notice: Option<String>,
}

impl RevokeFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn old_validity(&self) -> Option<&str> {
        Some(&self.old_validity)
    }

    fn expired(&self) -> bool {
        false
    }

    fn hint(&self) -> Option<String> {
        Some(self.p.t("revoke.final"))
    }
}

fn reason_label(p: &Page, r: domain::RevocationReason) -> String {
    p.t(&format!("revoke.reason.{}", r.name()))
}

/// The 注销 form of `app`.
fn form(
    p: Page,
    app: ApplicationView,
    fields: RevokeFields,
    errors: BTreeMap<&'static str, String>,
    notice: Option<String>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = RevokeFormPage {
        enterprise: app.cert_type == domain::ProfileKind::Enterprise,
        reasons: HOLDER_REASONS
            .iter()
            .map(|r| ReasonOption {
                key: r.name(),
                label: reason_label(&p, *r),
            })
            .collect(),
        old_validity: format!(
            "{} — {}",
            domain::calendar::beijing_minutes(app.form.old_not_before),
            domain::calendar::beijing_minutes(app.form.old_not_after)
        ),
        p: p.with_nav("selfservice"),
        app,
        fields,
        errors,
        notice,
    };
    render(status, &page)
}

/// The page again after a refusal: the message next to its field, or on top.
async fn again(
    state: &AppState,
    p: Page,
    holder_id: &str,
    id: &str,
    fields: RevokeFields,
    e: RaError,
) -> Result<Response, WebError> {
    let app = state.ra.application(holder_id, id).await?;
    let errors: BTreeMap<&'static str, String> = match &e {
        RaError::Form(errors) => errors.iter().map(|(k, m)| (*k, p.msg(m))).collect(),
        RaError::NotFound | RaError::Store(_) | RaError::Conflict(_) => return Err(e.into()),
        // The rest (the code refused, the sending limits, the SMS not sent):
        // said next to the code, with its status.
        other => [("code", p.msg(&other.msg()))].into_iter().collect(),
    };
    let status = crate::error::ra_status(&e);
    let mut resp = form(p, app, fields, errors, None);
    *resp.status_mut() = status;
    Ok(resp)
}

/// 获取验证码: the code to the holder's mobile; the form comes back as typed.
pub async fn send_code(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    p: Page,
    Path(id): Path<String>,
    Form(fields): Form<RevokeFields>,
) -> Result<Response, WebError> {
    let fields = RevokeFields {
        code: String::new(),
        ..fields
    };
    match state
        .ra
        .send_revoke_code(&holder.id, &id, &peer.ip().to_string())
        .await
    {
        Ok((app, mobile)) => {
            let notice = p
                .t("signin.code_sent")
                .replace("{mobile}", &mobile.masked());
            Ok(form(p, app, fields, BTreeMap::new(), Some(notice)))
        }
        Err(e) => again(&state, p, &holder.id, &id, fields, e).await,
    }
}

/// 确认注销: reason and code checked; revoked at once or sent for review.
pub async fn confirm(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    p: Page,
    Path(id): Path<String>,
    Form(fields): Form<RevokeFields>,
) -> Result<Response, WebError> {
    match state
        .ra
        .confirm_revoke(&holder.id, &id, &fields, &peer.ip().to_string())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/me/applications/{id}"))),
        Err(e) => {
            let fields = RevokeFields {
                code: String::new(),
                ..fields
            };
            again(&state, p, &holder.id, &id, fields, e).await
        }
    }
}

/// The 注销 form: the reason is chosen again when confirming.
pub(super) async fn page(shown: Shown<'_>, fields: RevokeFields) -> Result<Response, WebError> {
    Ok(form(shown.p, shown.app, fields, shown.errors, None))
}
