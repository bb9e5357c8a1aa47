//! The review desk: 工作台 and the queue (`queue`), an application with its
//! materials (`detail`, each business's comparison in the module of its name),
//! the decisions, and shipping of mailed keys.

mod compare;
mod detail;
mod queue;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::Business;
use ra::review::{Approval, ReviewDetail};
use serde::Deserialize;

pub use detail::detail;

/// Declares the review desk's module of every business of the list (each
/// has its comparison's `HEADINGS` and `rows`) and dispatches to it.
macro_rules! desk_parts {
    ($( $(#[$doc:meta])* $V:ident => $m:ident { $($facts:tt)* } ),* $(,)?) => {
        $( pub(super) mod $m; )*

        /// The comparison of the application's business and its headings.
        fn comparison(d: &ReviewDetail) -> (compare::Headings, Vec<compare::Compare>) {
            match d.app.business {
                $( Business::$V => ($m::HEADINGS, $m::rows(d)), )*
            }
        }
    };
}

domain::business_list!(desk_parts);
pub use queue::{home, queue};

use super::{Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::page::encode;
use crate::respond::{page_ok, see_other};

pub async fn material(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (row, bytes) = state.ra.material_for_staff(&s.who, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename*=UTF-8''{}", encode(&row.file_name)),
            ),
            // Shown inside the application page (img / object), nowhere else.
            (header::X_FRAME_OPTIONS, "SAMEORIGIN".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "frame-ancestors 'self'".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    reason: String,
}

pub async fn approve(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Result<Response, WebError> {
    let done = match state.ra.approve(&s.who, &id, d.version, &d.reason).await? {
        Approval::Approved => "approved",
        Approval::FirstOfTwo => "first",
    };
    Ok(see_other(&format!("/admin/applications/{id}?done={done}")))
}

pub async fn return_it(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .return_for_correction(&s.who, &id, d.version, &d.reason)
        .await?;
    Ok(see_other(&format!(
        "/admin/applications/{id}?done=returned"
    )))
}

pub async fn reject(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Result<Response, WebError> {
    state.ra.reject(&s.who, &id, d.version, &d.reason).await?;
    Ok(see_other(&format!(
        "/admin/applications/{id}?done=rejected"
    )))
}

pub async fn release(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.release_claim(&s.who, &id).await?;
    Ok(see_other("/admin/applications"))
}

#[derive(Debug, Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_no: String,
}

pub async fn ship(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<ShipForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .ship(&s.who, &id, &d.carrier, &d.tracking_no)
        .await?;
    Ok(see_other(&format!("/admin/applications/{id}?done=shipped")))
}

#[derive(Template)]
#[template(path = "admin/pickup.html")]
struct PickupPage {
    f: Frame,
    id: String,
    code: String,
    until: String,
    server: String,
}

/// 邮寄: a 写入码 for the operator, shown once (never in a URL or a log).
pub async fn pickup_code(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let code = state.ra.operator_pickup_code(&s.who, &id).await?;
    let until = when(state.ra.now_ms() + ra::issuance::CODE_DAYS * 86_400_000);
    let mut r = page_ok(&PickupPage {
        id,
        code,
        until,
        server: state.origin.clone(),
        f: Frame {
            nav: "applications",
            ..f
        },
    });
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}
