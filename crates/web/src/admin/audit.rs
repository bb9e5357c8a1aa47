//! 审计日志: the hash-chained log filtered by actor, action, object and day, with
//! the verdict over the whole chain at the top.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use store::audit::{AuditFilter, Verdict};

use super::{Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::page::encode;
use crate::respond::page_ok;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

struct Line {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    details: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    f: Frame,
    intact: bool,
    verdict: String,
    lines: Vec<Line>,
    actor: String,
    action: String,
    object: String,
    from: String,
    to: String,
    next: Option<String>,
}

pub async fn page(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let text = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let filter = AuditFilter {
        actor: text(&q.actor),
        action: text(&q.action),
        object: text(&q.object),
        from: q.from.as_deref().and_then(super::beijing_day_ms),
        to: q
            .to
            .as_deref()
            .and_then(super::beijing_day_ms)
            .map(|t| t + 86_400_000),
        limit: 0,
        offset: 0,
    };
    let page = q.page.unwrap_or(0).clamp(0, 100_000);
    let trail = state.ra.audit_trail(&s.who, &filter, page).await?;
    let (intact, verdict) = match &trail.verdict {
        Verdict::Intact { entries, .. } => {
            (true, format!("日志完整：共 {entries} 条，哈希链校验通过"))
        }
        Verdict::Broken { seq, reason } => (
            false,
            format!("日志已被篡改：第 {seq} 条起哈希链断开（{reason}）"),
        ),
    };
    let full = trail.entries.len() == 100;
    let keep = |k: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={}&", encode(v)))
            .unwrap_or_default()
    };
    let next = full.then(|| {
        format!(
            "/admin/audit?{}{}{}{}{}page={}",
            keep("actor", &q.actor),
            keep("action", &q.action),
            keep("object", &q.object),
            keep("from", &q.from),
            keep("to", &q.to),
            page + 1
        )
    });
    Ok(page_ok(&AuditPage {
        intact,
        verdict,
        lines: trail
            .entries
            .into_iter()
            .map(|e| Line {
                seq: e.seq,
                at: when(e.at),
                actor: e.actor,
                action: e.action,
                object: e.object,
                details: e.details,
            })
            .collect(),
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        object: q.object.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        next,
        f: Frame { nav: "audit", ..f },
    }))
}
