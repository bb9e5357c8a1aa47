//! 证书变更's 基本信息 (图 2.8): the certificate as it is, the new subject, the
//! contacts and the reason.

use askama::Template;
use axum::response::Response;
use domain::ProfileKind;
use ra::business::SubjectFields;
use ra::pipeline::ApplicationView;

use super::{Errors, FormPage, Shown};
use crate::page::Page;
use crate::respond::render;
use crate::view::Steps;
use crate::WebError;

#[derive(Template)]
#[template(path = "portal/business/change.html")]
struct ChangePage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: SubjectFields,
    errors: Errors,
    existing: bool,
    steps: Steps,
}

/// A change keeps the validity: not shown.
impl FormPage for ChangePage {
    fn errors(&self) -> &Errors {
        &self.errors
    }
}

pub(super) async fn page(shown: Shown<'_>, fields: SubjectFields) -> Result<Response, WebError> {
    let Shown {
        status,
        p,
        app,
        errors,
        existing,
        ..
    } = shown;
    Ok(render(
        status,
        &ChangePage {
            enterprise: app.cert_type == ProfileKind::Enterprise,
            steps: Steps::new(&p, 1, app.row.price_fen == 0),
            p: p.with_nav("selfservice"),
            app,
            fields,
            errors,
            existing,
        },
    ))
}
