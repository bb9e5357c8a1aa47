//! The 证书变更 application: 基本信息 (图 2.8), materials (图 2.9), 下一步 (submit)
//! and the result (图 3.10 "申请成功，等待审核", or on to payment).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::calendar::beijing_minutes;
use domain::{AppState as St, Business, Msg, ProfileKind};
use ra::RaError;
use ra::applications::ApplicationView;
use ra::forms::{ChangeFields, IssueFields, RenewFields};
use serde::Deserialize;

use super::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::respond::{page_ok, render, see_other};
use crate::view::material_views;
use axum::response::IntoResponse;

pub use crate::view::{MaterialSlot, Steps};

#[derive(Debug, Deserialize, Default)]
pub struct ExistingQuery {
    existing: Option<String>,
}

/// `/apply/{id}`: wherever the application is.
pub async fn current_step(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ExistingQuery>,
) -> Response {
    let app = match state.ra.application(&holder.id, &id).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    let suffix = if q.existing.is_some() {
        "?existing=1"
    } else {
        ""
    };
    match app.state {
        St::Draft | St::Returned if !app.form.complete => {
            see_other(&format!("/apply/{id}/form{suffix}"))
        }
        St::Draft | St::Returned => see_other(&format!("/apply/{id}/materials{suffix}")),
        _ => see_other(&format!("/me/applications/{id}{suffix}")),
    }
}

#[derive(Template)]
#[template(path = "portal/form.html")]
struct FormPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: ChangeFields,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    steps: Steps,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    /// A change keeps the validity: not shown.
    fn old_validity(&self) -> Option<&str> {
        None
    }

    fn expired(&self) -> bool {
        false
    }

    fn hint(&self) -> Option<String> {
        None
    }
}

fn form_page(
    p: Page,
    app: ApplicationView,
    fields: ChangeFields,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
) -> FormPage {
    FormPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, app.row.price_fen == 0),
        p: p.with_nav("selfservice"),
        app,
        fields,
        errors,
        existing,
    }
}

/// One term on the 在线延期 form: its price and the end it gives.
pub struct TermOption {
    pub years: u32,
    pub price: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "portal/renew_form.html")]
struct RenewFormPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: RenewFields,
    terms: Vec<TermOption>,
    old_validity: String,
    /// The old certificate has run out: the new one counts from the day it is
    /// written.
    expired: bool,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    steps: Steps,
}

impl RenewFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
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

fn renew_form_page(
    p: Page,
    app: ApplicationView,
    fields: RenewFields,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    now: i64,
) -> RenewFormPage {
    let f = &app.form;
    let terms = (1..=ra::forms::MAX_YEARS)
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
    RenewFormPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, f.unit_fen == 0),
        old_validity: format!(
            "{} — {}",
            beijing_minutes(f.old_not_before),
            beijing_minutes(f.old_not_after)
        ),
        expired: f.old_not_after <= now,
        p: p.with_nav("selfservice"),
        app,
        fields,
        terms,
        errors,
        existing,
    }
}

/// 签章变更: the certificate, its current seal, and the contacts (the new seal
/// and the 采样表 are uploaded next).
#[derive(Template)]
#[template(path = "portal/seal_form.html")]
struct SealFormPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    fields: RenewFields,
    /// The material id of the certificate's current seal.
    current_seal: Option<String>,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    steps: Steps,
}

impl SealFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn old_validity(&self) -> Option<&str> {
        None
    }

    fn expired(&self) -> bool {
        false
    }

    fn hint(&self) -> Option<String> {
        Some(self.p.t("seal.hint"))
    }
}

async fn seal_form_page(
    state: &AppState,
    p: Page,
    app: ApplicationView,
    fields: RenewFields,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
) -> Result<SealFormPage, Response> {
    let current_seal = state
        .ra
        .current_seal(&app.form.old.serial)
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    Ok(SealFormPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, app.row.price_fen == 0),
        p: p.with_nav("selfservice"),
        app,
        fields,
        current_seal,
        errors,
        existing,
    })
}

/// 在线新办 and 在线补办: subject and term (new) or what became of the old key
/// (reissue), and how the key comes.
#[derive(Template)]
#[template(path = "portal/issue_form.html")]
struct IssueFormPage {
    p: Page,
    app: ApplicationView,
    enterprise: bool,
    reissue: bool,
    fields: IssueFields,
    terms: Vec<TermOption>,
    old_validity: String,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    steps: Steps,
}

impl IssueFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn old_validity(&self) -> Option<&str> {
        self.reissue.then_some(self.old_validity.as_str())
    }

    fn expired(&self) -> bool {
        false
    }

    fn hint(&self) -> Option<String> {
        self.reissue.then(|| self.p.t("reissue.same_subject"))
    }

    fn checked(&self, name: &str, value: &str) -> bool {
        match name {
            "medium" => self.fields.medium == value,
            "revoke_reason" => self.fields.revoke_reason == value,
            "years" => self.fields.years == value,
            _ => false,
        }
    }
}

fn issue_form_page(
    p: Page,
    app: ApplicationView,
    fields: IssueFields,
    errors: BTreeMap<&'static str, String>,
    existing: bool,
    now: i64,
) -> IssueFormPage {
    let f = &app.form;
    let reissue = app.business == Business::Reissue;
    let terms = if reissue {
        Vec::new()
    } else {
        (1..=ra::forms::MAX_YEARS)
            .map(|years| TermOption {
                years,
                price: domain::Fen(f.unit_fen * i64::from(years)).yuan_string(),
                until: beijing_minutes(domain::renewal::renewed_not_after(now, now, years)),
            })
            .collect()
    };
    IssueFormPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 1, app.row.price_fen == 0),
        old_validity: format!(
            "{} — {}",
            beijing_minutes(f.old_not_before),
            beijing_minutes(f.old_not_after)
        ),
        p: p.with_nav("selfservice"),
        reissue,
        app,
        fields,
        terms,
        errors,
        existing,
    }
}

/// The form as the holder last saved it.
fn issue_fields(app: &ApplicationView) -> IssueFields {
    let f = &app.form;
    IssueFields {
        subject: f.fields.clone(),
        years: f.years.max(1).to_string(),
        medium: f.medium.key().to_string(),
        ship_name: f.ship_to.name.clone(),
        ship_phone: f.ship_to.phone.clone(),
        ship_address: f.ship_to.address.clone(),
        agent_is_representative: if f.agent_is_representative {
            "on".into()
        } else {
            String::new()
        },
        revoke_reason: f.revoke_reason.clone(),
    }
}

pub async fn form(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<ExistingQuery>,
) -> Response {
    let app = match state.ra.application(&holder.id, &id).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    if !app.state.editable() {
        return see_other(&format!("/me/applications/{id}"));
    }
    if app.business == Business::Revoke {
        return super::revoke::form(p, app, Default::default(), BTreeMap::new(), None);
    }
    if app.business == Business::SealChange {
        let fields = RenewFields {
            years: String::new(),
            contact_mobile: app.form.fields.contact_mobile.clone(),
            contact_email: app.form.fields.contact_email.clone(),
        };
        return match seal_form_page(
            &state,
            p,
            app,
            fields,
            BTreeMap::new(),
            q.existing.is_some(),
        )
        .await
        {
            Ok(page) => page_ok(&page),
            Err(r) => r,
        };
    }
    if matches!(app.business, Business::New | Business::Reissue) {
        let fields = issue_fields(&app);
        let now = state.ra.now_ms();
        return page_ok(&issue_form_page(
            p,
            app,
            fields,
            BTreeMap::new(),
            q.existing.is_some(),
            now,
        ));
    }
    if app.business == Business::Renew {
        let fields = RenewFields {
            years: app.form.years.max(1).to_string(),
            contact_mobile: app.form.fields.contact_mobile.clone(),
            contact_email: app.form.fields.contact_email.clone(),
        };
        let now = state.ra.now_ms();
        return page_ok(&renew_form_page(
            p,
            app,
            fields,
            BTreeMap::new(),
            q.existing.is_some(),
            now,
        ));
    }
    let fields = app.form.fields.clone();
    page_ok(&form_page(
        p,
        app,
        fields,
        BTreeMap::new(),
        q.existing.is_some(),
    ))
}

/// Saves 基本信息: the form of the application's business, as typed.
pub async fn save_form(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    let app = match state.ra.application(&holder.id, &id).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    let field = |name: &str| typed.get(name).cloned().unwrap_or_default();
    if app.business == Business::SealChange {
        let fields = RenewFields {
            years: String::new(),
            contact_mobile: field("contact_mobile"),
            contact_email: field("contact_email"),
        };
        return match state.ra.save_seal_form(&holder.id, &id, &fields).await {
            Ok(()) => see_other(&format!("/apply/{id}/materials")),
            Err(RaError::Form(errors)) => {
                let errors = errors.iter().map(|(k, m)| (*k, p.msg(m))).collect();
                match seal_form_page(&state, p, app, fields, errors, false).await {
                    Ok(page) => render(StatusCode::BAD_REQUEST, &page),
                    Err(r) => r,
                }
            }
            Err(e) => WebError::from(e).into_response(),
        };
    }
    if matches!(app.business, Business::New | Business::Reissue) {
        let fields = IssueFields {
            subject: ChangeFields {
                common_name: field("common_name"),
                organization: field("organization"),
                credit_code: field("credit_code"),
                id_number: field("id_number"),
                contact_mobile: field("contact_mobile"),
                contact_email: field("contact_email"),
                reason: String::new(),
            },
            years: field("years"),
            medium: field("medium"),
            ship_name: field("ship_name"),
            ship_phone: field("ship_phone"),
            ship_address: field("ship_address"),
            agent_is_representative: field("agent_is_representative"),
            revoke_reason: field("revoke_reason"),
        };
        return match state.ra.save_issue_form(&holder.id, &id, &fields).await {
            Ok(()) => see_other(&format!("/apply/{id}/materials")),
            Err(RaError::Form(errors)) => {
                let errors = errors.iter().map(|(k, m)| (*k, p.msg(m))).collect();
                let now = state.ra.now_ms();
                render(
                    StatusCode::BAD_REQUEST,
                    &issue_form_page(p, app, fields, errors, false, now),
                )
            }
            Err(e) => WebError::from(e).into_response(),
        };
    }
    if app.business == Business::Renew {
        let fields = RenewFields {
            years: field("years"),
            contact_mobile: field("contact_mobile"),
            contact_email: field("contact_email"),
        };
        return match state.ra.save_renew_form(&holder.id, &id, &fields).await {
            Ok(()) => see_other(&format!("/apply/{id}/materials")),
            Err(RaError::Form(errors)) => {
                let errors = errors.iter().map(|(k, m)| (*k, p.msg(m))).collect();
                let now = state.ra.now_ms();
                render(
                    StatusCode::BAD_REQUEST,
                    &renew_form_page(p, app, fields, errors, false, now),
                )
            }
            Err(e) => WebError::from(e).into_response(),
        };
    }
    let fields = ChangeFields {
        common_name: field("common_name"),
        organization: field("organization"),
        credit_code: field("credit_code"),
        id_number: field("id_number"),
        contact_mobile: field("contact_mobile"),
        contact_email: field("contact_email"),
        reason: field("reason"),
    };
    match state.ra.save_change_form(&holder.id, &id, &fields).await {
        Ok(()) => see_other(&format!("/apply/{id}/materials")),
        Err(RaError::Form(errors)) => {
            let errors = errors.iter().map(|(k, m)| (*k, p.msg(m))).collect();
            render(
                StatusCode::BAD_REQUEST,
                &form_page(p, app, fields, errors, false),
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
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
) -> Result<MaterialsPage, Response> {
    let app = state
        .ra
        .application(holder_id, id)
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let slots = material_views(&p, &app);
    Ok(MaterialsPage {
        enterprise: app.cert_type == ProfileKind::Enterprise,
        steps: Steps::new(&p, 2, app.row.price_fen == 0),
        limit_mb: state.ra.settings.upload_limit / (1024 * 1024),
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
) -> Response {
    match materials_page(&state, p, &holder.id, &id, "", None, q.existing.is_some()).await {
        Ok(page) if !page.app.state.editable() => {
            see_other(&format!("/me/applications/{}", page.app.row.id))
        }
        Ok(page) if !page.app.form.complete => {
            see_other(&format!("/apply/{}/form", page.app.row.id))
        }
        Ok(page) => page_ok(&page),
        Err(resp) => resp,
    }
}

pub async fn upload(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path((id, kind)): Path<(String, String)>,
    multipart: Multipart,
) -> Response {
    let limit = state.ra.settings.upload_limit;
    let result = match crate::upload::read_file(multipart, limit).await {
        Ok((name, bytes)) => state
            .ra
            .upload_material(&holder.id, &id, &kind, &name, bytes)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&format!("/apply/{id}/materials")),
        Err(e @ (RaError::NotFound | RaError::Store(_) | RaError::Blob(_))) => {
            WebError::from(e).into_response()
        }
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = p.msg(&e.msg());
            let mut resp =
                match materials_page(&state, p, &holder.id, &id, &kind, Some(msg), false).await {
                    Ok(page) => render(status, &page),
                    Err(resp) => resp,
                };
            // Part of an over-long body may be left unread: this connection is done.
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            resp
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    match state.ra.submit(&holder.id, &id).await {
        // 下一步 of a paid business opens the payment centre (图 2.10).
        Ok(St::PendingPayment) => match state.ra.reopen(&holder.id, &id).await {
            Ok(order) => see_other(&format!("/pay/{order}")),
            Err(e) => WebError::from(e).into_response(),
        },
        Ok(_) => see_other(&format!("/apply/{id}/done")),
        Err(e @ (RaError::NotFound | RaError::Store(_) | RaError::Conflict(_))) => {
            WebError::from(e).into_response()
        }
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = match &e {
                RaError::MissingMaterials(kinds) => {
                    let names: Vec<String> = kinds
                        .iter()
                        .filter_map(|k| state.ra.catalog.materials.iter().find(|s| &s.kind == k))
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
            match materials_page(&state, p, &holder.id, &id, "", Some(msg), false).await {
                Ok(page) => render(status, &page),
                Err(resp) => resp,
            }
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
) -> Response {
    let app = match state.ra.application(&holder.id, &id).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
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
    page_ok(&DonePage {
        p: p.with_nav("selfservice"),
        app,
        paid,
        approved,
        lead,
        steps,
    })
}

#[derive(Debug, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    cert_type: String,
}

/// 在线新办: opens a draft of the chosen certificate type (or the holder's
/// draft of that type).
pub async fn start_new(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Form(f): Form<NewForm>,
) -> Response {
    let Ok(cert_type) = f.cert_type.parse::<ProfileKind>() else {
        return WebError::from(RaError::Invalid(Msg::new("请选择机构证书或个人证书")))
            .into_response();
    };
    match state.ra.start_new(&holder.id, cert_type).await {
        Ok(started) if started.existing => see_other(&format!("/apply/{}?existing=1", started.id)),
        Ok(started) => see_other(&format!("/apply/{}/form", started.id)),
        Err(e) => WebError::from(e).into_response(),
    }
}
