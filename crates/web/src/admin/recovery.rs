//! 司法恢复 (GM/T 0034 §12.5) for 密钥恢复审批员: the requests with their
//! legal basis and approvals, a form to file one, approval (four eyes: two
//! others than the officer who filed it), the release to that officer and
//! the download of the key enveloped to the officer's SM2 key.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Done, Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::respond::{page_ok, see_other};

struct Line {
    id: String,
    serial: String,
    legal_basis: String,
    officer: String,
    at: String,
    state: &'static str,
    approvers: Vec<(String, String)>,
    /// The signed-in member may approve it now.
    may_approve: bool,
    /// The signed-in member filed it, and it is approved (or released).
    may_release: bool,
    released: bool,
}

#[derive(Template)]
#[template(path = "admin/recovery.html")]
struct RecoveryPage {
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
    let views = state.ra.recoveries(&s.who).await?;
    let me = &s.who.name;
    let lines = views
        .into_iter()
        .map(|v| {
            let mine = v.row.requested_by == s.who.id;
            let approved_by_me = v.approvers.iter().any(|(n, _)| n == me);
            let state_label = match v.row.state.as_str() {
                "REQUESTED" => "待批准",
                "APPROVED" => "已批准，待恢复员取得",
                "RELEASED" => "已释放给恢复员",
                _ => "未知",
            };
            Line {
                serial: domain::Serial::parse(&v.row.encryption_serial)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|_| v.row.encryption_serial.clone()),
                legal_basis: v.row.legal_basis.clone(),
                officer: v.officer.clone(),
                at: when(v.row.created_at),
                state: state_label,
                may_approve: v.row.state == "REQUESTED" && !mine && !approved_by_me,
                may_release: mine && v.row.state != "REQUESTED",
                released: v.row.state == "RELEASED",
                approvers: v
                    .approvers
                    .iter()
                    .map(|(n, at)| (n.clone(), when(*at)))
                    .collect(),
                id: v.row.id,
            }
        })
        .collect();
    Ok(page_ok(&RecoveryPage {
        lines,
        notice: match q.done.as_deref() {
            Some("filed") => Some("已提交，待两名其他密钥恢复审批员批准"),
            Some("approved") => Some("已批准"),
            Some("released") => Some("密钥已按恢复员公钥封装，可下载"),
            _ => None,
        },
        f: Frame {
            nav: "recovery",
            ..f
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct FileForm {
    #[serde(default)]
    serial: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    officer_key: String,
}

pub async fn file(
    State(state): State<Web>,
    s: Signed,
    Form(form): Form<FileForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .file_recovery(&s.who, &form.serial, &form.legal_basis, &form.officer_key)
        .await?;
    Ok(see_other("/admin/recovery?done=filed"))
}

pub async fn approve(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.approve_recovery(&s.who, &id).await?;
    Ok(see_other("/admin/recovery?done=approved"))
}

pub async fn release(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.release_recovery(&s.who, &id).await?;
    Ok(see_other("/admin/recovery?done=released"))
}

/// The key, enveloped to the officer's public key: GB/T 35276 SM2EnvelopedKey.
pub async fn key(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (serial, der) = state.ra.recovery_envelope(&s.who, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{serial}.sm2envelopedkey.der\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        der,
    )
        .into_response())
}
