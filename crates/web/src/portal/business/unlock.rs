//! 找回密码 in 个人中心: the holder's USB keys, each with its latest PIN reset
//! request, and filing one. It has no 基本信息 form: a request is its own
//! record, and the assistant finishes it with the key.

use axum::extract::{Path, State};
use axum::response::Response;
use ra::business::NoForm;

use super::Shown;
use crate::page::Page;
use crate::portal::SignedIn;
use crate::respond::see_other;
use crate::{AppState, WebError};

/// One of the holder's USB keys (找回密码), with its latest PIN reset request.
pub(in crate::portal) struct TokenLine {
    pub serial: String,
    pub mobile: String,
    /// The latest request, in the reader's language, and its tone.
    pub state: String,
    pub tone: &'static str,
    /// Why a reviewer refused, or when the PIN was last reset.
    pub note: String,
    /// No request open: 找回密码 may start.
    pub may_start: bool,
}

impl TokenLine {
    pub(in crate::portal) fn new(p: &Page, t: &ra::business::unlock_portal::HolderToken) -> Self {
        use domain::UnlockState as U;
        let state = t.latest.as_ref().map(|r| r.state);
        let (zh, en, tone) = match state {
            Some(s) => (s.label_zh(), s.label_en(), s.tone()),
            None => ("—", "—", "info"),
        };
        let note = match (state, &t.latest) {
            (Some(U::Rejected), Some(r)) => r.reason.clone().unwrap_or_default(),
            (Some(U::Approved), _) => {
                p.tr.pick(
                    "请插入 U 盾，在证书助手中点击“找回密码”完成",
                    "Insert the key and click PIN recovery in the assistant",
                )
                .to_string()
            }
            _ => t
                .released_at
                .map(|at| {
                    format!(
                        "{}{}",
                        p.tr.pick("最近一次找回密码：", "Last PIN reset: "),
                        ca::asn1time::beijing_minutes(at)
                    )
                })
                .unwrap_or_default(),
        };
        TokenLine {
            serial: t.serial.clone(),
            mobile: t.mobile_masked.clone(),
            state: p.tr.pick(zh, en).to_string(),
            tone,
            note,
            may_start: !matches!(state, Some(U::Pending | U::Approved)),
        }
    }
}

/// 找回密码 for one of the holder's keys: filed (for review, or approved at
/// once), then back to 个人中心 where the key's line says what to do next.
pub async fn unlock(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(serial): Path<String>,
) -> Result<Response, WebError> {
    state.ra.portal_unlock(&holder.id, &serial).await?;
    Ok(see_other("/me#tokens"))
}

/// No application of 找回密码 exists, so no form to show.
pub(super) async fn page(_shown: Shown<'_>, form: NoForm) -> Result<Response, WebError> {
    match form {}
}
