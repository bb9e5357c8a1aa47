//! After paying: the state the QR page polls, 支付成功 (图 2.14) with the
//! e-invoice, the way back from 支付宝's cashier, and the two agreements' texts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ra::RaError;
use serde::Deserialize;

use super::line::{OrderLine, load};
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::portal::SignedIn;
use crate::respond::{page_ok, see_other};

/// The order's state as JSON, for the QR page's script. When it cannot say, a
/// bare status and no error page: the script just polls again.
pub async fn status(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.check_payment(&h.id, &id).await {
        Ok(state) => axum::Json(serde_json::json!({ "state": state.key() })).into_response(),
        Err(RaError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "pay/success.html")]
struct SuccessPage {
    p: Page,
    line: OrderLine,
    application_id: String,
    invoice_number: Option<String>,
    /// While the e-invoice is being made: the page reloads itself.
    refresh: Option<String>,
}

#[derive(Deserialize)]
pub struct SuccessQuery {
    /// How many times the page has reloaded itself waiting for the invoice.
    #[serde(default)]
    wait: u32,
}

/// Reloads of 支付成功 waiting for the e-invoice (3 s apart: a minute).
const INVOICE_RELOADS: u32 = 20;

pub async fn success(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<SuccessQuery>,
) -> Result<Response, WebError> {
    let view = load(&s, &h.id, &id).await?;
    if view.order.state != domain::OrderState::Paid {
        return Ok(see_other(&format!("/pay/{id}")));
    }
    let line = OrderLine::new(&p, &view);
    let invoice_number = view.invoice.as_ref().map(|i| i.number.clone());
    // The invoice is made off the request path, usually within a second; the
    // page shows it once it is there instead of asking the holder to reload.
    let refresh = (invoice_number.is_none() && q.wait < INVOICE_RELOADS)
        .then(|| format!("/pay/{id}/success?wait={}", q.wait + 1));
    Ok(page_ok(&SuccessPage {
        p: p.with_nav("me"),
        line,
        application_id: view.application.id.clone(),
        invoice_number,
        refresh,
    }))
}

pub async fn invoice_pdf(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (row, bytes) = s.ra.invoice_pdf(&h.id, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"invoice-{}.pdf\"", row.number),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "pay/terms.html")]
struct TermsPage {
    p: Page,
    title: String,
    body: Vec<String>,
}

pub async fn terms(p: Page, Path(which): Path<String>) -> Result<Response, WebError> {
    let key = match which.as_str() {
        "payment" => "terms.payment",
        "service" => "terms.service",
        _ => return Err(RaError::NotFound.into()),
    };
    let title = p.t(&format!("{key}.title"));
    let body = p
        .t(&format!("{key}.body"))
        .split("\n\n")
        .map(str::to_string)
        .collect();
    Ok(page_ok(&TermsPage { p, title, body }))
}

#[derive(Debug, Deserialize, Default)]
pub struct ReturnQuery {
    out_trade_no: Option<String>,
}

/// Back from Alipay's cashier. The browser's word counts for nothing: the
/// gateway is asked.
pub async fn alipay_return(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, WebError> {
    let no = q.out_trade_no.ok_or(RaError::NotFound)?;
    let order = s.ra.order_by_trade_no_for(&h.id, &no).await?;
    Ok(
        if s.ra.check_payment(&h.id, &order.id).await? == domain::OrderState::Paid {
            see_other(&format!("/pay/{}/success", order.id))
        } else {
            see_other(&format!("/pay/{}?notice=unpaid", order.id))
        },
    )
}
