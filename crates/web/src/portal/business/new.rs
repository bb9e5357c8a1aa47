//! 在线新办: the holder picks 机构证书 or 个人证书 on 自助服务 (a draft of that
//! type opens), then 基本信息: the subject, the term and how the key comes.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use domain::{Msg, ProfileKind};
use ra::RaError;
use ra::business::new::NewFields;
use serde::Deserialize;

use super::Shown;
use super::issue_page::{self, IssueView};
use crate::portal::SignedIn;
use crate::respond::see_other;
use crate::{AppState, WebError};

pub(super) async fn page(shown: Shown<'_>, fields: NewFields) -> Result<Response, WebError> {
    let now = shown.state.ra.now_ms();
    let view = IssueView {
        subject: fields.subject,
        years: fields.years,
        delivery: fields.delivery,
        agent_is_representative: fields.agent_is_representative,
        revoke_reason: String::new(),
        ..IssueView::default()
    };
    Ok(issue_page::page(shown, view, Some(now)))
}

#[derive(Debug, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    cert_type: String,
}

/// `POST /apply/new`: opens a draft of the chosen certificate type (or the
/// holder's draft of that type).
pub async fn start_new(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Form(f): Form<NewForm>,
) -> Result<Response, WebError> {
    let Ok(cert_type) = f.cert_type.parse::<ProfileKind>() else {
        return Err(RaError::Invalid(Msg::new("请选择机构证书或个人证书")).into());
    };
    let started = state.ra.start_new(&holder.id, cert_type).await?;
    Ok(if started.existing {
        see_other(&format!("/apply/{}?existing=1", started.id))
    } else {
        see_other(&format!("/apply/{}/form", started.id))
    })
}
