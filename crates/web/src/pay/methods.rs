//! 选择支付方式 (图 2.13) and the three ways to pay: 支付宝 (a redirect to the
//! gateway), 微信支付 (a QR code) and 对公转账 (the account, and a receipt to
//! upload).

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::Response;
use domain::Msg;
use ra::RaError;
use ra::payments::OrderView;

use super::line::{OrderLine, load};
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::portal::SignedIn;
use crate::respond::{page_ok, render, see_other};

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
) -> Result<Response, WebError> {
    let view = load(&s, &h.id, &id).await?;
    if view.order.state == domain::OrderState::Paid {
        return Ok(see_other(&format!("/pay/{id}/success")));
    }
    if !view.open() {
        return Err(RaError::Conflict(Msg::new("订单已过期，请在个人中心重新发起支付")).into());
    }
    if view.order.agreed_at.is_none() {
        return Ok(see_other(&format!("/pay/{id}")));
    }
    let line = OrderLine::new(&p, &view);
    let pay = &s.ra.payments();
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
    Ok(resp)
}

pub async fn alipay(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let url = s.ra.pay_alipay(&h.id, &id).await?;
    Ok(see_other(&url))
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
) -> Result<Response, WebError> {
    s.ra.pay_wechat(&h.id, &id).await?;
    Ok(see_other(&format!("/pay/{id}/wechat")))
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
) -> Result<Response, WebError> {
    match s.ra.check_payment(&h.id, &id).await {
        Ok(domain::OrderState::Paid) => return Ok(see_other(&format!("/pay/{id}/success"))),
        // A database that cannot serve (or cannot book what the gateway says
        // was paid) is said, not shown as a code still waiting to be paid.
        Err(e) if crate::error::ra_status(&e).is_server_error() => return Err(e.into()),
        // Not paid yet, or a refusal: the page below says what it can.
        Ok(_) | Err(_) => {}
    }
    let view = load(&s, &h.id, &id).await?;
    let code_url = match (&view.order.channel, &view.order.wechat_code_url) {
        (Some(domain::Channel::WeChat), Some(u)) if view.open() => u.clone(),
        _ => return Ok(see_other(&format!("/pay/{id}/method"))),
    };
    let line = OrderLine::new(&p, &view);
    let qr = crate::view::qr_svg(&code_url).unwrap_or_default();
    let sandbox_link = code_url.starts_with("http").then_some(code_url);
    Ok(page_ok(&WechatPage {
        p: p.with_nav("me"),
        line,
        qr,
        sandbox_link,
    }))
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

fn bank_page(s: &AppState, p: Page, view: OrderView, error: Option<String>) -> BankPage {
    let acct = s.ra.payments().bank.clone();
    let submitted = view
        .transfers
        .iter()
        .any(|t| t.state == domain::TransferState::Submitted);
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
) -> Result<Response, WebError> {
    let view = load(&s, &h.id, &id).await?;
    if view.order.state == domain::OrderState::Paid {
        return Ok(see_other(&format!("/pay/{id}/success")));
    }
    Ok(page_ok(&bank_page(&s, p, view, None)))
}

/// The receipt uploaded; the page again, with what went wrong next to the form.
pub async fn bank_receipt(
    State(s): State<AppState>,
    SignedIn(h): SignedIn,
    p: Page,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let limit = s.ra.settings().upload_limit;
    let result = match crate::upload::read_file(multipart, limit).await {
        Ok((name, bytes)) => s.ra.bank_receipt(&h.id, &id, &name, bytes).await,
        Err(e) => Err(e),
    };
    let view = load(&s, &h.id, &id).await?;
    Ok(match result {
        Ok(()) => page_ok(&bank_page(&s, p, view, None)),
        Err(e) => {
            let status = crate::error::ra_status(&e);
            let msg = p.msg(&e.msg());
            render(status, &bank_page(&s, p, view, Some(msg)))
        }
    })
}
