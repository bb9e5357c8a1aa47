//! The order before it is paid, in the manual's order: the order (图 2.10), 电子发票
//! (图 2.11), agreements and 提交并支付 (图 2.12); and 个人中心's 去支付, which
//! opens it.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Msg;
use ra::RaError;
use ra::payments::{InvoiceFields, InvoiceInfo, OrderView, TitleType};
use serde::Deserialize;

use super::line::{OrderLine, load};
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::portal::SignedIn;
use crate::respond::{page_ok, render, see_other};

fn field_errors(p: &Page, e: &BTreeMap<&'static str, Msg>) -> BTreeMap<&'static str, String> {
    e.iter().map(|(k, m)| (*k, p.msg(m))).collect()
}

#[derive(Template)]
#[template(path = "pay/order.html")]
struct OrderPage {
    p: Page,
    line: OrderLine,
    view: OrderView,
    invoice: Option<InvoiceInfo>,
    error: Option<String>,
    notice: Option<String>,
}

impl OrderPage {
    fn title_type(&self) -> String {
        match self.invoice.as_ref().map(|i| i.title_type) {
            Some(TitleType::Company) => self.p.t("pay.company"),
            _ => self.p.t("pay.personal"),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn order_page(
    p: Page,
    view: OrderView,
    error: Option<String>,
    notice: Option<String>,
) -> OrderPage {
    OrderPage {
        line: OrderLine::new(&p, &view),
        invoice: view.invoice_info.clone(),
        p: p.with_nav("me"),
        view,
        error,
        notice,
    }
}

pub async fn order(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let view = load(&s, &h.id, &id).await?;
    let notice = q
        .notice
        .filter(|n| n == "unpaid")
        .map(|_| p.t("pay.unpaid"));
    Ok(page_ok(&order_page(p, view, None, notice)))
}

#[derive(Template)]
#[template(path = "pay/invoice.html")]
struct InvoicePage {
    p: Page,
    line: OrderLine,
    fields: InvoiceFields,
    errors: BTreeMap<&'static str, String>,
}

impl InvoicePage {
    fn error(&self, f: &str) -> String {
        self.errors.get(f).cloned().unwrap_or_default()
    }

    fn company(&self) -> bool {
        self.fields.title_type != "personal"
    }
}

/// Saved details, or the application's own as a start.
fn invoice_fields(view: &OrderView) -> InvoiceFields {
    match &view.invoice_info {
        Some(i) => InvoiceFields {
            title_type: match i.title_type {
                TitleType::Company => "company".into(),
                TitleType::Personal => "personal".into(),
            },
            title: i.title.clone(),
            tax_id: i.tax_id.clone(),
            email: i.email.clone(),
        },
        None => {
            // Only a start: a form that does not read leaves the fields empty.
            let form: ra::business::ApplicationForm =
                serde_json::from_str(&view.application.form).unwrap_or_default();
            let company = view.application.cert_type == domain::ProfileKind::Enterprise;
            InvoiceFields {
                title_type: if company { "company" } else { "personal" }.into(),
                title: if company {
                    form.fields.organization.clone()
                } else {
                    form.fields.common_name.clone()
                },
                tax_id: form.fields.credit_code.clone(),
                email: form.fields.contact_email.clone(),
            }
        }
    }
}

pub async fn invoice_form(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = load(&s, &h.id, &id).await?;
    if !view.open() {
        return Ok(see_other(&format!("/pay/{id}")));
    }
    let fields = invoice_fields(&view);
    let line = OrderLine::new(&p, &view);
    Ok(page_ok(&InvoicePage {
        p: p.with_nav("me"),
        line,
        fields,
        errors: BTreeMap::new(),
    }))
}

pub async fn save_invoice(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Form(fields): Form<InvoiceFields>,
) -> Result<Response, WebError> {
    match s.ra.save_invoice_info(&h.id, &id, &fields).await {
        Ok(()) => Ok(see_other(&format!("/pay/{id}"))),
        Err(RaError::Form(e)) => {
            let view = load(&s, &h.id, &id).await?;
            let errors = field_errors(&p, &e);
            let line = OrderLine::new(&p, &view);
            Ok(render(
                StatusCode::BAD_REQUEST,
                &InvoicePage {
                    p: p.with_nav("me"),
                    line,
                    fields,
                    errors,
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AgreeForm {
    payment_terms: Option<String>,
    service_terms: Option<String>,
}

pub async fn agree(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<AgreeForm>,
) -> Result<Response, WebError> {
    match s
        .ra
        .agree(
            &h.id,
            &id,
            f.payment_terms.is_some(),
            f.service_terms.is_some(),
        )
        .await
    {
        Ok(()) => Ok(see_other(&format!("/pay/{id}/method"))),
        // No invoice details yet, or an agreement left unticked: said on the
        // order page.
        Err(e @ RaError::Invalid(_)) => {
            let view = load(&s, &h.id, &id).await?;
            let msg = p.msg(&e.msg());
            Ok(render(
                crate::error::ra_status(&e),
                &order_page(p, view, Some(msg), None),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// 个人中心's 去支付: the open order, or a new one when the last expired.
pub async fn pay_application(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let order = s.ra.reopen(&h.id, &id).await?;
    Ok(see_other(&format!("/pay/{order}")))
}
