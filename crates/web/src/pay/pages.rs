//! The payment centre's pages, in the manual's order: the order (图 2.10), 电子发票
//! (图 2.11), agreements and 提交并支付 (图 2.12), the method (图 2.13), and success
//! (图 2.14).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Fen, Msg};
use ra::RaError;
use ra::payments::{InvoiceFields, InvoiceInfo, OrderView, TitleType};
use serde::Deserialize;

use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::portal::SignedIn;
use crate::respond::{page_ok, render, see_other};

/// The order as the pages show it.
pub struct OrderLine {
    pub id: String,
    pub out_trade_no: String,
    pub subject: String,
    pub amount: String,
    pub state_label: String,
    pub tone: &'static str,
    pub expires: String,
    pub paid: bool,
    pub open: bool,
}

impl OrderLine {
    fn new(p: &Page, v: &OrderView) -> Self {
        let o = &v.order;
        let (zh, en, tone) = match (o.state.as_str(), v.expired) {
            ("PAID", _) => ("已支付", "Paid", "ok"),
            ("CANCELLED", _) => ("已取消", "Cancelled", "bad"),
            ("EXPIRED", _) | ("OPEN", true) => ("已过期", "Expired", "bad"),
            _ => ("待支付", "Awaiting payment", "warn"),
        };
        OrderLine {
            id: o.id.clone(),
            out_trade_no: o.out_trade_no.clone(),
            subject: p.text(&o.subject),
            amount: Fen(o.amount_fen).to_string(),
            state_label: p.tr.pick(zh, en).to_string(),
            tone,
            expires: ca::asn1time::beijing_minutes(o.expires_at),
            paid: o.state == "PAID",
            open: v.open(),
        }
    }
}

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

async fn load(s: &AppState, holder_id: &str, id: &str) -> Result<OrderView, Response> {
    s.ra.order(holder_id, id)
        .await
        .map_err(|e| WebError::from(e).into_response())
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
) -> Response {
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let notice = q
        .notice
        .filter(|n| n == "unpaid")
        .map(|_| p.t("pay.unpaid"));
    page_ok(&order_page(p, view, None, notice))
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

pub async fn invoice_form(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !view.open() {
        return see_other(&format!("/pay/{id}"));
    }
    // Saved details, or the application's own as a start.
    let fields = match &view.invoice_info {
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
            let form: ra::business::ApplicationForm =
                serde_json::from_str(&view.application.form).unwrap_or_default();
            let company = view.application.cert_type == "enterprise";
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
    };
    let line = OrderLine::new(&p, &view);
    page_ok(&InvoicePage {
        p: p.with_nav("me"),
        line,
        fields,
        errors: BTreeMap::new(),
    })
}

pub async fn save_invoice(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Form(fields): Form<InvoiceFields>,
) -> Response {
    match s.ra.save_invoice_info(&h.id, &id, &fields).await {
        Ok(()) => see_other(&format!("/pay/{id}")),
        Err(RaError::Form(e)) => {
            let view = match load(&s, &h.id, &id).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            let errors = field_errors(&p, &e);
            let line = OrderLine::new(&p, &view);
            render(
                StatusCode::BAD_REQUEST,
                &InvoicePage {
                    p: p.with_nav("me"),
                    line,
                    fields,
                    errors,
                },
            )
        }
        Err(e) => WebError::from(e).into_response(),
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
) -> Response {
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
        Ok(()) => see_other(&format!("/pay/{id}/method")),
        Err(e @ RaError::Invalid(_)) => {
            let view = match load(&s, &h.id, &id).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            let msg = p.msg(&e.msg());
            render(
                crate::error::ra_status(&e),
                &order_page(p, view, Some(msg), None),
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "pay/method.html")]
struct MethodPage {
    p: Page,
    line: OrderLine,
    alipay: bool,
    wechat: bool,
    bank: bool,
}

pub async fn method(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if view.order.state == "PAID" {
        return see_other(&format!("/pay/{id}/success"));
    }
    if !view.open() {
        return WebError::from(RaError::Conflict(Msg::new(
            "订单已过期，请在个人中心重新发起支付",
        )))
        .into_response();
    }
    if view.order.agreed_at.is_none() {
        return see_other(&format!("/pay/{id}"));
    }
    let line = OrderLine::new(&p, &view);
    let pay = &s.ra.pay;
    let mut resp = page_ok(&MethodPage {
        p: p.with_nav("me"),
        line,
        alipay: pay.alipay.is_some(),
        wechat: pay.wechat.is_some(),
        bank: pay.bank.is_some(),
    });
    // 支付宝's form is answered with a redirect to the gateway.
    if let Some(csp) = pay
        .alipay
        .as_ref()
        .and_then(|a| crate::csp_with_form_target(&a.gateway))
    {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    resp
}

pub async fn alipay(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.pay_alipay(&h.id, &id).await {
        Ok(url) => see_other(&url),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "pay/wechat.html")]
struct WechatPage {
    p: Page,
    line: OrderLine,
    qr: String,
    /// The sandbox's cashier, linked so the flow can be tried without a phone.
    /// Real WeChat codes are `weixin://` URLs that only the app opens.
    sandbox_link: Option<String>,
}

/// 微信支付 chosen (a POST with the page's CSRF token): the gateway's native
/// order is made and its code kept; then the QR page.
pub async fn choose_wechat(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.pay_wechat(&h.id, &id).await {
        Ok(_) => see_other(&format!("/pay/{id}/wechat")),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The QR page. Showing it changes nothing: it shows the code kept when 微信支付
/// was chosen (or sends the holder to choose), and each refresh asks the
/// gateways, so the computer reaches the success page by itself once the
/// phone has paid.
pub async fn wechat(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    if let Ok(state) = s.ra.check_payment(&h.id, &id).await
        && state == "PAID"
    {
        return see_other(&format!("/pay/{id}/success"));
    }
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code_url = match (&view.order.channel, &view.order.wechat_code_url) {
        (Some(c), Some(u)) if c == "wechat" && view.open() => u.clone(),
        _ => return see_other(&format!("/pay/{id}/method")),
    };
    let line = OrderLine::new(&p, &view);
    let qr = crate::view::qr_svg(&code_url).unwrap_or_default();
    let sandbox_link = code_url.starts_with("http").then_some(code_url);
    page_ok(&WechatPage {
        p: p.with_nav("me"),
        line,
        qr,
        sandbox_link,
    })
}

#[derive(Template)]
#[template(path = "pay/bank.html")]
struct BankPage {
    p: Page,
    line: OrderLine,
    name: String,
    bank: String,
    account: String,
    submitted: bool,
    error: Option<String>,
}

async fn bank_page(s: &AppState, p: Page, view: OrderView, error: Option<String>) -> BankPage {
    let acct = s.ra.pay.bank.clone();
    let submitted = view.transfers.iter().any(|t| t.state == "SUBMITTED");
    BankPage {
        line: OrderLine::new(&p, &view),
        p: p.with_nav("me"),
        name: acct.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        bank: acct.as_ref().map(|a| a.bank.clone()).unwrap_or_default(),
        account: acct.map(|a| a.account).unwrap_or_default(),
        submitted,
        error,
    }
}

pub async fn bank(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Response {
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if view.order.state == "PAID" {
        return see_other(&format!("/pay/{id}/success"));
    }
    let page = bank_page(&s, p, view, None).await;
    page_ok(&page)
}

pub async fn bank_receipt(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let limit = s.ra.settings.upload_limit;
    let result = match crate::upload::read_file(multipart, limit).await {
        Ok((name, bytes)) => s.ra.bank_receipt(&h.id, &id, &name, bytes).await,
        Err(e) => Err(e),
    };
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match result {
        Ok(()) => {
            let page = bank_page(&s, p, view, None).await;
            page_ok(&page)
        }
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = p.msg(&e.msg());
            let page = bank_page(&s, p, view, Some(msg)).await;
            render(status, &page)
        }
    }
}

pub async fn status(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.check_payment(&h.id, &id).await {
        Ok(state) => axum::Json(serde_json::json!({ "state": state })).into_response(),
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
) -> Response {
    let view = match load(&s, &h.id, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if view.order.state != "PAID" {
        return see_other(&format!("/pay/{id}"));
    }
    let line = OrderLine::new(&p, &view);
    let invoice_number = view.invoice.as_ref().map(|i| i.number.clone());
    // The invoice is made off the request path, usually within a second; the
    // page shows it once it is there instead of asking the holder to reload.
    let refresh = (invoice_number.is_none() && q.wait < INVOICE_RELOADS)
        .then(|| format!("/pay/{id}/success?wait={}", q.wait + 1));
    page_ok(&SuccessPage {
        p: p.with_nav("me"),
        line,
        application_id: view.application.id.clone(),
        invoice_number,
        refresh,
    })
}

pub async fn invoice_pdf(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.invoice_pdf(&h.id, &id).await {
        Ok((row, bytes)) => (
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
            .into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "pay/terms.html")]
struct TermsPage {
    p: Page,
    title: String,
    body: Vec<String>,
}

pub async fn terms(p: Page, Path(which): Path<String>) -> Response {
    let key = match which.as_str() {
        "payment" => "terms.payment",
        "service" => "terms.service",
        _ => return WebError::from(RaError::NotFound).into_response(),
    };
    let title = p.t(&format!("{key}.title"));
    let body = p
        .t(&format!("{key}.body"))
        .split("\n\n")
        .map(str::to_string)
        .collect();
    page_ok(&TermsPage { p, title, body })
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
) -> Response {
    let Some(no) = q.out_trade_no else {
        return WebError::from(RaError::NotFound).into_response();
    };
    let order = match s.ra.order_by_trade_no_for(&h.id, &no).await {
        Ok(o) => o,
        Err(e) => return WebError::from(e).into_response(),
    };
    match s.ra.check_payment(&h.id, &order.id).await {
        Ok(state) if state == "PAID" => see_other(&format!("/pay/{}/success", order.id)),
        Ok(_) => see_other(&format!("/pay/{}?notice=unpaid", order.id)),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// 个人中心's 去支付: the open order, or a new one when the last expired.
pub async fn pay_application(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match s.ra.reopen(&h.id, &id).await {
        Ok(order) => see_other(&format!("/pay/{order}")),
        Err(e) => WebError::from(e).into_response(),
    }
}
