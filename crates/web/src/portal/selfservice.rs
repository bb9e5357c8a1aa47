//! 自助服务 (图 2.1, 2.2), the business pages (证书变更: 图 2.3), the download
//! centre and help.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Business;
use ra::RaError;

use super::{error_page, page_ok};
use crate::AppState;
use crate::page::Page;

pub struct Entry {
    pub key: &'static str,
    pub name: String,
    pub blurb: String,
}

#[derive(Template)]
#[template(path = "portal/selfservice.html")]
struct Hall {
    p: Page,
    entries: Vec<Entry>,
}

pub async fn hall(p: Page) -> Response {
    let entries = Business::SELF_SERVICE
        .iter()
        .map(|b| Entry {
            key: b.key(),
            name: p.tr.pick(b.entry_zh(), b.name_en()).to_string(),
            blurb: p.t(&format!("ss.blurb.{}", b.key())),
        })
        .collect();
    page_ok(&Hall {
        p: p.with_nav("selfservice"),
        entries,
    })
}

#[derive(Template)]
#[template(path = "portal/business.html")]
struct BusinessPage {
    p: Page,
    key: &'static str,
    name: String,
    blurb: String,
    /// 证书变更 starts in the assistant; the others open with their own issues.
    open: bool,
}

pub async fn business(p: Page, Path(key): Path<String>) -> Response {
    let Ok(b) = key.parse::<Business>() else {
        return error_page(&p, &RaError::NotFound);
    };
    let page = BusinessPage {
        name: p.tr.pick(b.name_zh(), b.name_en()).to_string(),
        blurb: p.t(&format!("ss.blurb.{}", b.key())),
        key: b.key(),
        open: b == Business::Change,
        p: p.with_nav("selfservice"),
    };
    super::render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "portal/download.html")]
struct Download {
    p: Page,
}

pub async fn download(p: Page) -> Response {
    page_ok(&Download {
        p: p.with_nav("download"),
    })
}

#[derive(Template)]
#[template(path = "portal/help.html")]
struct Help {
    p: Page,
}

pub async fn help(State(_): State<AppState>, p: Page) -> Response {
    page_ok(&Help {
        p: p.with_nav("help"),
    })
}
