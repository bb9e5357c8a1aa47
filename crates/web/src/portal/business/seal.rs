//! 签章变更's 基本信息: the certificate, its current seal, and the contacts (the
//! new seal and the 采样表 are uploaded next, as materials).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use domain::ProfileKind;
use ra::business::seal::SealFields;
use ra::pipeline::ApplicationView;

use super::{Errors, FormPage};
use crate::page::Page;
use crate::respond::render;
use crate::view::Steps;
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "portal/business/seal.html")]
struct SealPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: SealFields,
    /// The material id of the certificate's current seal.
    current_seal: Option<String>,
    errors: Errors,
    existing: bool,
    steps: Steps,
}

impl FormPage for SealPage {
    fn errors(&self) -> &Errors {
        &self.errors
    }

    fn hint(&self) -> Option<String> {
        Some(self.p.t("seal.hint"))
    }
}

pub(super) async fn page(
    state: &AppState,
    status: StatusCode,
    p: Page,
    app: ApplicationView,
    fields: SealFields,
    errors: Errors,
    existing: bool,
) -> Result<Response, WebError> {
    let current_seal = state.ra.current_seal(&app.form.old.serial).await?;
    let page = SealPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, app.row.price_fen == 0),
        p: p.with_nav("selfservice"),
        app,
        fields,
        current_seal,
        errors,
        existing,
    };
    Ok(render(status, &page))
}
