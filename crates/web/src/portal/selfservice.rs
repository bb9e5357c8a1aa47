//! 自助服务 (图 2.1, 2.2), the business pages (证书变更: 图 2.3), the download
//! centre and help.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Business;
use ra::RaError;

use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::respond::page_ok;

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
    let entries = Business::self_service()
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
    /// The steps of an open business, in the reader's language.
    lead: String,
    steps: Vec<String>,
}

pub async fn business(p: Page, Path(key): Path<String>) -> Result<Response, WebError> {
    let b = key
        .parse::<Business>()
        .map_err(|_| WebError::from(RaError::NotFound))?;
    let page = BusinessPage {
        name: p.tr.pick(b.name_zh(), b.name_en()).to_string(),
        key: b.key(),
        lead: p.t(&format!("biz.{}.lead", b.key())),
        steps: (1..=3)
            .map(|n| p.t(&format!("biz.{}.step{n}", b.key())))
            .collect(),
        p: p.with_nav("selfservice"),
    };
    Ok(super::render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "portal/download.html")]
struct Download {
    p: Page,
    /// The assistant's package, by its file name, if there is one.
    package: Option<String>,
    /// The assistant's plain build is there to download.
    build: bool,
    /// This platform, for the install command.
    server: String,
}

pub async fn download(State(state): State<AppState>, p: Page) -> Response {
    page_ok(&Download {
        package: p.branding.assistant_package.as_deref().map(package_name),
        build: p.branding.assistant_build.is_some(),
        server: state.origin.clone(),
        p: p.with_nav("download"),
    })
}

/// The name the package is saved under: its own (`certhall-assistant_<version>_amd64.deb`,
/// what `apt install ./…` is then typed with), when it is a plain one.
fn package_name(path: &std::path::Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| {
            n.ends_with(".deb")
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~'))
        })
        .unwrap_or("certhall-assistant_amd64.deb")
        .to_string()
}

/// 下载并安装: the assistant's build (Linux, x86-64), as an attachment.
pub async fn assistant_build(p: Page) -> Result<Response, WebError> {
    let path = p
        .branding
        .assistant_build
        .clone()
        .ok_or(RaError::NotFound)?;
    attachment(&path, "application/octet-stream", "certhall-assistant").await
}

/// 下载并安装: the assistant's Debian package, under its own name.
pub async fn assistant_package(p: Page) -> Result<Response, WebError> {
    let path = p
        .branding
        .assistant_package
        .clone()
        .ok_or(RaError::NotFound)?;
    let name = package_name(&path);
    attachment(&path, "application/vnd.debian.binary-package", &name).await
}

/// An operator's file as a download named `name` (plain ASCII, checked).
async fn attachment(
    path: &std::path::Path,
    content_type: &'static str,
    name: &str,
) -> Result<Response, WebError> {
    let bytes = tokio::fs::read(path).await.map_err(|e| {
        // The operator's file, not the database: logged for them, and the
        // holder told there is nothing to download.
        tracing::error!(error = %e, path = %path.display(), "a download cannot be read");
        RaError::NotFound
    })?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
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
