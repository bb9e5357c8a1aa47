//! 证书查询: the public certificate lookup, by serial or by holder (organisation
//! name, holder name or 统一社会信用代码), with certificate download.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ca::authority::pem;
use domain::Serial;
use serde::Deserialize;
use store::certificates::CertificateRow;

use crate::page::Page;
use crate::view::CertificateView;
use crate::{AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/query", get(query_page))
        .route("/query/{serial}/download", get(download))
}

#[derive(Debug, Deserialize)]
struct QueryParams {
    /// `serial` or `holder`.
    by: Option<String>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "query.html")]
struct QueryPage {
    p: Page,
    by_serial: bool,
    q: String,
    error: Option<String>,
    searched: bool,
    results: Vec<CertificateView>,
}

/// Most public results a holder search returns.
const MAX_RESULTS: i64 = 50;

async fn query_page(
    State(s): State<AppState>,
    page_ctx: Page,
    Query(p): Query<QueryParams>,
) -> Result<Response, WebError> {
    let q = p.q.unwrap_or_default().trim().to_string();
    let by_serial = p.by.as_deref() != Some("holder");
    let mut page = QueryPage {
        p: page_ctx.with_nav("query"),
        by_serial,
        q: q.clone(),
        error: None,
        searched: !q.is_empty(),
        results: Vec::new(),
    };
    let mut status = StatusCode::OK;
    if !q.is_empty() {
        let now = s.ra.now_ms();
        if by_serial {
            match Serial::parse(&q) {
                Err(e) => {
                    status = StatusCode::BAD_REQUEST;
                    let why = match &e {
                        domain::ParseError::Invalid { reason, .. } => page.p.msg(reason),
                        domain::ParseError::Missing { .. } => page.p.t("form.required"),
                    };
                    page.error = Some(format!("{}{why}", page.p.t("query.bad_serial")));
                }
                Ok(serial) => {
                    if let Some(row) = s.ra.issued_certificate(&serial).await? {
                        let pair = s.ra.pair_of(&row.serial).await?;
                        page.results
                            .push(CertificateView::new(&row, now).with_pair(pair.as_ref()));
                    }
                }
            }
        } else {
            let rows = s.ra.search_enterprise(&q, MAX_RESULTS).await?;
            for r in &rows {
                let pair = s.ra.pair_of(&r.serial).await?;
                page.results
                    .push(CertificateView::new(r, now).with_pair(pair.as_ref()));
            }
        }
    }
    let html = page.render()?;
    Ok((status, Html(html)).into_response())
}

/// An issued certificate by serial, or a 404 that says which serial.
pub(crate) async fn find_issued(s: &AppState, serial: &Serial) -> Result<CertificateRow, WebError> {
    s.ra.issued_certificate(serial).await?.ok_or_else(|| {
        WebError::NotFound(format!(
            "未找到序列号为 {serial} 的证书 (no certificate with serial {serial})"
        ))
    })
}

#[derive(Debug, Deserialize)]
struct DownloadParams {
    format: Option<String>,
}

async fn download(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(p): Query<DownloadParams>,
) -> Result<Response, WebError> {
    let serial =
        Serial::parse(&raw).map_err(|e| WebError::BadRequest(format!("序列号格式不正确：{e}")))?;
    let row = find_issued(&s, &serial).await?;
    let der = row.cert_der.unwrap_or_default();
    Ok(match p.format.as_deref() {
        Some("der") | Some("cer") => (
            [
                (header::CONTENT_TYPE, "application/pkix-cert".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{serial}.cer\""),
                ),
            ],
            der,
        )
            .into_response(),
        None | Some("pem") => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{serial}.pem\""),
                ),
            ],
            pem("CERTIFICATE", &der),
        )
            .into_response(),
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "不支持的格式 `{other}`：请使用 pem 或 der"
            )));
        }
    })
}
