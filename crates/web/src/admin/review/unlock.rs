//! 找回密码 requests waiting for a reviewer (when `portal.unlock_review` is on).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};
use crate::admin::{Done, Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::respond::{page_ok, see_other};

struct Line {
    id: String,
    token: String,
    mobile: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/unlocks.html")]
struct UnlocksPage {
    f: Frame,
    lines: Vec<Line>,
    notice: Option<&'static str>,
}

pub async fn page(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let rows = state.ra.unlock_requests(&s.who).await?;
    Ok(page_ok(&UnlocksPage {
        lines: rows
            .into_iter()
            .map(|(r, mobile)| Line {
                at: when(r.created_at),
                id: r.id,
                token: r.token_serial,
                mobile,
            })
            .collect(),
        notice: q.done.map(|_| "已处理，已短信通知申请人"),
        f: Frame {
            nav: "unlocks",
            ..f
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: Web,
    s: Signed,
    id: String,
    approve: bool,
    reason: String,
) -> Result<Response, WebError> {
    state
        .ra
        .decide_unlock(&s.who, &id, approve, &reason)
        .await?;
    Ok(see_other("/admin/unlocks?done=1"))
}

pub async fn approve(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    decide(state, s, id, true, form.reason).await
}

pub async fn reject(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    decide(state, s, id, false, form.reason).await
}

/// 找回密码 has no application: its requests are reviewed on their own page
/// (above), so nothing is ever compared.
pub(super) const HEADINGS: Headings = Headings {
    title: "找回密码",
    new_column: "申请",
    changed_badge: "重置",
};

pub(super) fn rows(_d: &ReviewDetail) -> Vec<Compare> {
    Vec::new()
}
