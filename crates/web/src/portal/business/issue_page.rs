//! The page 在线新办 and 在线补办 share: subject and term (new) or what became
//! of the old key (reissue), and how the key comes. Each business fills the
//! page's fields from its own typed form.

use askama::Template;
use axum::response::Response;
use domain::ProfileKind;
use domain::calendar::beijing_minutes;
use ra::business::{DeliveryFields, SubjectFields};
use ra::pipeline::ApplicationView;

use super::{Errors, FormPage, Shown, TermOption};
use crate::page::Page;
use crate::respond::render;
use crate::view::Steps;

/// What the page's fields show.
#[derive(Debug, Default)]
pub(super) struct IssueView {
    pub subject: SubjectFields,
    pub years: String,
    pub revoke_reason: String,
    pub delivery: DeliveryFields,
    pub agent_is_representative: String,
    /// 在线补办 of a 双证书: the box asking the earlier encryption keys back,
    /// and how many there are (no box without any).
    pub restore_earlier_keys: String,
    pub earlier_keys: usize,
}

#[derive(Template)]
#[template(path = "portal/business/issue.html")]
struct IssuePage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    reissue: bool,
    fields: IssueView,
    terms: Vec<TermOption>,
    old_validity: String,
    errors: Errors,
    existing: bool,
    steps: Steps,
}

impl FormPage for IssuePage {
    fn errors(&self) -> &Errors {
        &self.errors
    }

    fn old_validity(&self) -> Option<&str> {
        self.reissue.then_some(self.old_validity.as_str())
    }

    fn hint(&self) -> Option<String> {
        self.reissue.then(|| self.p.t("reissue.same_subject"))
    }
}

impl IssuePage {
    fn checked(&self, name: &str, value: &str) -> bool {
        match name {
            "medium" => self.fields.delivery.medium == value,
            "revoke_reason" => self.fields.revoke_reason == value,
            "years" => self.fields.years == value,
            _ => false,
        }
    }
}

/// The page; `now` gives the terms' ends for 在线新办 (`None` for 在线补办,
/// which keeps the old end).
pub(super) fn page(shown: Shown<'_>, fields: IssueView, now: Option<i64>) -> Response {
    let Shown {
        status,
        p,
        app,
        errors,
        existing,
        ..
    } = shown;
    let f = &app.form;
    let terms = match now {
        None => Vec::new(),
        Some(now) => (1..=ra::business::MAX_YEARS)
            .map(|years| TermOption {
                years,
                price: domain::Fen(f.unit_fen * i64::from(years)).yuan_string(),
                until: beijing_minutes(domain::renewal::renewed_not_after(now, now, years)),
            })
            .collect(),
    };
    let page = IssuePage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, app.row.price_fen == 0),
        old_validity: format!(
            "{} — {}",
            beijing_minutes(f.old_not_before),
            beijing_minutes(f.old_not_after)
        ),
        p: p.with_nav("selfservice"),
        reissue: now.is_none(),
        app,
        fields,
        terms,
        errors,
        existing,
    };
    render(status, &page)
}
