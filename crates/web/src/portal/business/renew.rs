//! 在线延期's 基本信息: the certificate and its validity, the terms on offer
//! (each with its price and the end it gives), and the contacts. The subject
//! cannot change here.

use askama::Template;
use axum::response::Response;
use domain::ProfileKind;
use domain::calendar::beijing_minutes;
use ra::business::renew::RenewFields;
use ra::pipeline::ApplicationView;

use super::{Errors, FormPage, Shown, TermOption};
use crate::page::Page;
use crate::respond::render;
use crate::WebError;
use crate::view::Steps;

#[derive(Template)]
#[template(path = "portal/business/renew.html")]
struct RenewPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: RenewFields,
    terms: Vec<TermOption>,
    old_validity: String,
    /// The old certificate has run out: the new one counts from the day it is
    /// written.
    expired: bool,
    errors: Errors,
    existing: bool,
    steps: Steps,
}

impl FormPage for RenewPage {
    fn errors(&self) -> &Errors {
        &self.errors
    }

    fn old_validity(&self) -> Option<&str> {
        Some(&self.old_validity)
    }

    fn expired(&self) -> bool {
        self.expired
    }

    fn hint(&self) -> Option<String> {
        Some(self.p.t("renew.same_subject"))
    }
}

pub(super) async fn page(shown: Shown<'_>, fields: RenewFields) -> Result<Response, WebError> {
    let Shown {
        state,
        status,
        p,
        app,
        errors,
        existing,
    } = shown;
    let now = state.ra.now_ms();
    let f = &app.form;
    let terms = (1..=ra::business::MAX_YEARS)
        .map(|years| TermOption {
            years,
            price: domain::Fen(f.unit_fen * i64::from(years)).yuan_string(),
            until: beijing_minutes(domain::renewal::renewed_not_after(
                f.old_not_after,
                now,
                years,
            )),
        })
        .collect();
    let page = RenewPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, f.unit_fen == 0),
        old_validity: format!(
            "{} — {}",
            beijing_minutes(f.old_not_before),
            beijing_minutes(f.old_not_after)
        ),
        expired: f.old_not_after <= now,
        p: p.with_nav("selfservice"),
        terms,
        app,
        fields,
        errors,
        existing,
    };
    Ok(render(status, &page))
}
