//! 个人中心 (图 2.15): every application of the holder with its status, and each
//! one's detail with the timeline.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use ra::applications::ApplicationView;
use serde::Deserialize;

use super::{SignedIn, error_page, page_ok, see_other};
use crate::AppState;
use crate::page::Page;
use crate::view::{ApplicationLine, EventLine, MaterialSlot, material_views};

#[derive(Template)]
#[template(path = "portal/me.html")]
struct Center {
    p: Page,
    mobile: String,
    lines: Vec<ApplicationLine>,
}

pub async fn center(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
) -> Response {
    let rows = match state.ra.applications_of(&holder.id).await {
        Ok(r) => r,
        Err(e) => return error_page(&p, &e),
    };
    let lines = rows.iter().map(|r| ApplicationLine::new(&p, r)).collect();
    let mobile = domain::Mobile::parse(&holder.mobile)
        .map(|m| m.masked())
        .unwrap_or_default();
    page_ok(&Center {
        p: p.with_nav("me"),
        mobile,
        lines,
    })
}

#[derive(Template)]
#[template(path = "portal/application.html")]
struct Detail {
    p: Page,
    app: ApplicationView,
    line: ApplicationLine,
    events: Vec<EventLine>,
    slots: Vec<MaterialSlot>,
    enterprise: bool,
    existing: bool,
    can_cancel: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    existing: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let app = match state.ra.application(&holder.id, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(&p, &e),
    };
    let line = ApplicationLine::new(&p, &app.row);
    let events = app.events.iter().map(|e| EventLine::new(&p, e)).collect();
    let slots = material_views(&p, &state.ra.catalog, &app);
    let can_cancel = app.state.after(domain::AppAction::Cancel).is_some();
    page_ok(&Detail {
        enterprise: app.cert_type == domain::ProfileKind::Enterprise,
        p: p.with_nav("me"),
        app,
        line,
        events,
        slots,
        existing: q.existing.is_some(),
        can_cancel,
    })
}

pub async fn cancel(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    match state.ra.cancel(&holder.id, &id).await {
        Ok(()) => see_other(&format!("/me/applications/{id}")),
        Err(e) => error_page(&p, &e),
    }
}
