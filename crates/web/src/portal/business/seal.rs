//! 签章变更's 基本信息: the certificate, its current seal, and the contacts (the
//! new seal and the 采样表 are uploaded next, as materials).

use askama::Template;
use axum::response::Response;
use domain::ProfileKind;
use ra::business::seal::SealFields;
use ra::pipeline::ApplicationView;

use super::{Errors, FormPage, Shown};
use crate::page::Page;
use crate::respond::render;
use crate::view::Steps;
use crate::WebError;

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

pub(super) async fn page(shown: Shown<'_>, fields: SealFields) -> Result<Response, WebError> {
    let Shown {
        state,
        status,
        p,
        app,
        errors,
        existing,
    } = shown;
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
