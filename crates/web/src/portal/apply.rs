//! The steps every business's application shares: wherever it is
//! (`/apply/{id}`), materials (图 2.9), 下一步 (submit) and the result (图 3.10
//! "申请成功，等待审核", or on to payment). 基本信息, the form of each business,
//! is in `super::business`.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use domain::{AppState as St, Business, ProfileKind};
use ra::RaError;
use ra::pipeline::ApplicationView;
use serde::Deserialize;

use super::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::respond::{page_ok, render, see_other};
use crate::view::material_views;

pub use crate::view::{MaterialSlot, Steps};

#[derive(Debug, Deserialize, Default)]
pub struct ExistingQuery {
    pub existing: Option<String>,
}

/// `/apply/{id}`: wherever the application is.
pub async fn current_step(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ExistingQuery>,
) -> Result<Response, WebError> {
    let app = state.ra.application(&holder.id, &id).await?;
    let suffix = if q.existing.is_some() {
        "?existing=1"
    } else {
        ""
    };
    Ok(match app.state {
        St::Draft | St::Returned if !app.form.complete => {
            see_other(&format!("/apply/{id}/form{suffix}"))
        }
        St::Draft | St::Returned => see_other(&format!("/apply/{id}/materials{suffix}")),
        _ => see_other(&format!("/me/applications/{id}{suffix}")),
    })
}

#[derive(Template)]
#[template(path = "portal/materials.html")]
struct MaterialsPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    slots: Vec<MaterialSlot>,
    /// An error about one material kind, or the submission as a whole.
    error_kind: String,
    error: Option<String>,
    limit_mb: usize,
    existing: bool,
    steps: Steps,
}

async fn materials_page(
    state: &AppState,
    p: Page,
    holder_id: &str,
    id: &str,
    error_kind: &str,
    error: Option<String>,
    existing: bool,
) -> Result<MaterialsPage, WebError> {
    let app = state.ra.application(holder_id, id).await?;
    let slots = material_views(&p, &app);
    Ok(MaterialsPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 2, app.row.price_fen == 0),
        limit_mb: state.ra.settings().upload_limit / (1024 * 1024),
        p: p.with_nav("selfservice"),
        app,
        slots,
        error_kind: error_kind.to_string(),
        error,
        existing,
    })
}

pub async fn materials(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<ExistingQuery>,
) -> Result<Response, WebError> {
    let page = materials_page(&state, p, &holder.id, &id, "", None, q.existing.is_some()).await?;
    Ok(if !page.app.state.editable() {
        see_other(&format!("/me/applications/{}", page.app.row.id))
    } else if !page.app.form.complete {
        see_other(&format!("/apply/{}/form", page.app.row.id))
    } else {
        page_ok(&page)
    })
}

pub async fn upload(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path((id, kind)): Path<(String, String)>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let limit = state.ra.settings().upload_limit;
    let result = match crate::upload::read_file(multipart, limit).await {
        Ok((name, bytes)) => state
            .ra
            .upload_material(&holder.id, &id, &kind, &name, bytes)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/apply/{id}/materials"))),
        Err(e @ (RaError::NotFound | RaError::Store(_) | RaError::Blob(_))) => Err(e.into()),
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = p.msg(&e.msg());
            let page = materials_page(&state, p, &holder.id, &id, &kind, Some(msg), false).await?;
            let mut resp = render(status, &page);
            // Part of an over-long body may be left unread: this connection is done.
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            Ok(resp)
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    match state.ra.submit(&holder.id, &id).await {
        // 下一步 of a paid business opens the payment centre (图 2.10).
        Ok(St::PendingPayment) => {
            let order = state.ra.reopen(&holder.id, &id).await?;
            Ok(see_other(&format!("/pay/{order}")))
        }
        Ok(_) => Ok(see_other(&format!("/apply/{id}/done"))),
        Err(e @ (RaError::NotFound | RaError::Store(_) | RaError::Conflict(_))) => Err(e.into()),
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = match &e {
                RaError::MissingMaterials(kinds) => {
                    let names: Vec<String> = kinds
                        .iter()
                        .filter_map(|k| state.ra.catalog().materials.iter().find(|s| &s.kind == k))
                        .map(|s| p.tr.pick(&s.label_zh, &s.label_en).to_string())
                        .collect();
                    format!(
                        "{}{}",
                        p.t("mat.missing"),
                        names.join(p.tr.pick("、", ", "))
                    )
                }
                other => p.msg(&other.msg()),
            };
            let page = materials_page(&state, p, &holder.id, &id, "", Some(msg), false).await?;
            Ok(render(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "portal/done.html")]
struct DonePage {
    p: Page,
    app: ApplicationView,
    paid: bool,
    /// Approved already (a product reviewed automatically).
    approved: bool,
    /// What the holder does in the assistant once approved.
    lead: String,
    steps: Steps,
}

pub async fn done(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let app = state.ra.application(&holder.id, &id).await?;
    let paid = app.state == St::PendingPayment;
    let approved = app.state == St::Approved;
    let steps = Steps::new(
        &p,
        if paid {
            3
        } else if approved {
            6
        } else {
            5
        },
        app.row.price_fen == 0,
    );
    let lead = p.t(match (app.business, approved) {
        (Business::Renew, true) => "done.approved_lead.renew",
        (Business::Renew, false) => "done.lead.renew",
        _ => "done.lead",
    });
    Ok(page_ok(&DonePage {
        p: p.with_nav("selfservice"),
        app,
        paid,
        approved,
        lead,
        steps,
    }))
}
