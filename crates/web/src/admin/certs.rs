//! 证书管理: search by serial, holder, credit code and status; a certificate's
//! detail; revocation with a reason and an explicit confirmation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::{RevocationReason, Serial};
use ra::certificates::CertFilter;
use serde::Deserialize;
use store::certificates::CertificateRow;

use super::{Done, Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::respond::{page_ok, see_other};

struct CertLine {
    serial: String,
    profile: &'static str,
    holder: String,
    organization: String,
    credit_code: String,
    validity: String,
    status: &'static str,
    tone: &'static str,
}

fn status(c: &CertificateRow, now: i64) -> (&'static str, &'static str) {
    if c.revoked_at.is_some() {
        ("已吊销", "bad")
    } else if c.not_after <= now {
        ("已过期", "muted")
    } else {
        ("有效", "good")
    }
}

fn serial_text(hex: &str) -> String {
    Serial::parse(hex)
        .map(|s| s.to_string())
        .unwrap_or_else(|_| hex.to_string())
}

impl CertLine {
    fn new(c: &CertificateRow, now: i64) -> Self {
        let (status, tone) = status(c, now);
        CertLine {
            serial: serial_text(&c.serial),
            profile: if c.profile == "enterprise" {
                "机构证书"
            } else {
                "个人证书"
            },
            holder: c.common_name.clone(),
            organization: c.organization.clone().unwrap_or_default(),
            credit_code: c.credit_code.clone().unwrap_or_default(),
            validity: format!("{} 至 {}", when(c.not_before), when(c.not_after)),
            status,
            tone,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    serial: Option<String>,
    name: Option<String>,
    credit_code: Option<String>,
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/certificates.html")]
struct ListPage {
    f: Frame,
    lines: Vec<CertLine>,
    serial: String,
    name: String,
    credit_code: String,
    status: String,
    searched: bool,
    message: Option<String>,
}

pub async fn list(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filter = CertFilter {
        serial: q.serial.clone(),
        name: q.name.clone().filter(|n| !n.trim().is_empty()),
        credit_code: q.credit_code.clone().filter(|c| !c.trim().is_empty()),
        status: q
            .status
            .clone()
            .filter(|s| matches!(s.as_str(), "valid" | "revoked" | "expired")),
        page: q.page.unwrap_or(0).clamp(0, 10_000),
    };
    let (lines, message) = match state.ra.search_certificates(&s.who, &filter).await {
        Ok(rows) => {
            let now = state.ra.now_ms();
            (rows.iter().map(|c| CertLine::new(c, now)).collect(), None)
        }
        // A search that does not read (a malformed serial): said above the
        // empty list.
        Err(e @ ra::RaError::Invalid(_)) => (Vec::new(), Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    Ok(page_ok(&ListPage {
        f: Frame {
            nav: "certificates",
            ..f
        },
        lines,
        searched: q.serial.is_some() || q.name.is_some() || q.credit_code.is_some(),
        serial: q.serial.unwrap_or_default(),
        name: q.name.unwrap_or_default(),
        credit_code: q.credit_code.unwrap_or_default(),
        status: filter.status.unwrap_or_default(),
        message,
    }))
}

#[derive(Template)]
#[template(path = "admin/certificate.html")]
struct DetailPage {
    f: Frame,
    c: CertLine,
    id_number: String,
    algorithm: String,
    issued: String,
    revoked: Option<(String, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
}

pub async fn detail(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Path(serial): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let c = state.ra.certificate_for_staff(&s.who, &serial).await?;
    let now = state.ra.now_ms();
    Ok(page_ok(&DetailPage {
        c: CertLine::new(&c, now),
        id_number: c.id_number_masked.clone().unwrap_or_default(),
        algorithm: c.key_algorithm.clone(),
        issued: c.issued_at.map(when).unwrap_or_default(),
        revoked: c.revoked_at.map(|at| {
            (
                when(at),
                c.revocation_reason
                    .and_then(|r| u8::try_from(r).ok())
                    .and_then(RevocationReason::from_code)
                    .map_or("未指定", RevocationReason::label_zh),
            )
        }),
        // superseded is the RA's own (a changed certificate); staff pick the others.
        reasons: RevocationReason::ALL
            .iter()
            .filter(|r| **r != RevocationReason::Superseded)
            .map(|r| (r.name(), r.label_zh()))
            .collect(),
        notice: q.done.as_deref().map(|_| "已吊销；CRL 与 OCSP 已更新"),
        f: Frame {
            nav: "certificates",
            ..f
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn revoke(
    State(state): State<Web>,
    s: Signed,
    Path(serial): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .revoke_by_staff(&s.who, &serial, &form.reason, form.confirm.is_some())
        .await?;
    Ok(see_other(&format!(
        "/admin/certificates/{serial}?done=revoked"
    )))
}
