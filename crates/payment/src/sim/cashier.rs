//! The sandbox's cashier pages: what the buyer sees at Alipay (in the browser) or
//! on the phone after scanning WeChat's QR code. Pay, fail, cancel.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{Channel, SimState, SimStatus, SimTrade, esc, notify, now_ms};
use crate::{alipay, yuan};

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:480px;margin:2rem auto;padding:0 1rem}\
    .amount{font-size:2rem;font-weight:700}button{font-size:1.1rem;padding:.6rem 1.4rem;margin:.3rem}\
    .pay{background:#1677ff;color:#fff;border:0;border-radius:4px}.wx .pay{background:#07c160}";

fn page(title: &str, class: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
         <title>{title}</title><style>{STYLE}</style><body class={class}>{body}</body></html>"
    )
}

fn buttons(prefix: &str, no: &str, cancel: bool) -> String {
    let mut s = format!(
        "<form method=post action='{prefix}/{no}/pay'><button class=pay id=pay type=submit>确认付款</button></form>\
         <form method=post action='{prefix}/{no}/fail'><button id=fail type=submit>支付失败</button></form>",
        no = esc(no)
    );
    if cancel {
        s.push_str(&format!(
            "<form method=post action='{prefix}/{no}/cancel'><button id=cancel type=submit>取消付款</button></form>",
            no = esc(no)
        ));
    }
    s
}

pub fn alipay_page(t: &SimTrade) -> String {
    let body = match t.status {
        SimStatus::Paid => "<h1 id=status>该订单已支付</h1>".to_string(),
        SimStatus::Closed => "<h1 id=status>交易已关闭</h1>".to_string(),
        _ => format!(
            "<h1>支付宝收银台（沙箱）</h1><p>商品：{}</p><p>订单号：<code>{}</code></p><p class=amount>¥{}</p>{}",
            esc(&t.subject),
            esc(&t.out_trade_no),
            yuan(t.total_fen),
            buttons("/alipay/cashier", &t.out_trade_no, true)
        ),
    };
    page("支付宝 - 收银台", "ali", &body)
}

pub async fn index() -> Html<String> {
    Html(page(
        "certhall 支付沙箱",
        "",
        "<h1>certhall 支付沙箱</h1><p>支付宝电脑网站支付与微信支付 Native 的网关模拟。</p>",
    ))
}

/// The merchant's return URL with Alipay's signed return parameters.
fn return_url(state: &SimState, t: &SimTrade) -> String {
    let mut p = BTreeMap::new();
    p.insert("app_id".to_string(), state.config.alipay_app_id.clone());
    p.insert(
        "method".to_string(),
        "alipay.trade.page.pay.return".to_string(),
    );
    p.insert("out_trade_no".to_string(), t.out_trade_no.clone());
    p.insert("trade_no".to_string(), t.trade_no.clone());
    p.insert("total_amount".to_string(), yuan(t.total_fen));
    p.insert("charset".to_string(), "utf-8".to_string());
    p.insert("sign_type".to_string(), "RSA2".to_string());
    p.insert(
        "timestamp".to_string(),
        domain::calendar::beijing_seconds(now_ms()),
    );
    let content = alipay::sign_content(&p, &["sign", "sign_type"]);
    if let Ok(sig) = state.config.alipay_key.sign_base64(content.as_bytes()) {
        p.insert("sign".to_string(), sig);
    }
    let q: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&p)
        .finish();
    let sep = if t.return_url.contains('?') { '&' } else { '?' };
    format!("{}{sep}{q}", t.return_url)
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn act(state: &Arc<SimState>, channel: Channel, no: &str, action: &str) -> Option<SimTrade> {
    let t = state.update(channel, no, |t| {
        if t.status != SimStatus::Waiting {
            return;
        }
        match action {
            "pay" => {
                t.status = SimStatus::Paid;
                t.paid_at_ms = now_ms();
            }
            "fail" => t.status = SimStatus::Failed,
            "cancel" => t.status = SimStatus::Closed,
            _ => {}
        }
    })?;
    if action == "pay" && t.status == SimStatus::Paid {
        // Paid and kept: a crash from here on loses nothing (the notify is
        // owed, and sent again after a restart).
        domain::fault::point("sandbox.paid");
        notify::spawn(state.clone(), t.clone());
    }
    Some(t)
}

pub async fn alipay_action(
    State(state): State<Arc<SimState>>,
    Path((no, action)): Path<(String, String)>,
) -> Response {
    let Some(t) = act(&state, Channel::Alipay, &no, &action) else {
        return (StatusCode::NOT_FOUND, "交易不存在").into_response();
    };
    match (action.as_str(), t.status) {
        ("pay", SimStatus::Paid) => see_other(&return_url(&state, &t)),
        ("fail", _) => Html(page(
            "支付失败",
            "ali",
            &format!("<h1 id=status>支付失败</h1><p>余额不足（沙箱）。</p><p><a href='{}'>返回商户</a></p>", esc(&t.return_url)),
        ))
        .into_response(),
        _ => see_other(&t.return_url),
    }
}

pub async fn wechat_page(State(state): State<Arc<SimState>>, Path(no): Path<String>) -> Response {
    let Some(t) = state.trade(Channel::WeChat, &no) else {
        return (StatusCode::NOT_FOUND, "订单不存在").into_response();
    };
    let body = match t.status {
        SimStatus::Paid => "<h1 id=status>支付成功</h1><p>请回到电脑端查看。</p>".to_string(),
        SimStatus::Waiting => format!(
            "<h1>微信支付（沙箱）</h1><p>{}</p><p class=amount>¥{}</p>{}",
            esc(&t.subject),
            yuan(t.total_fen),
            buttons("/wechat/cashier", &t.out_trade_no, false)
        ),
        _ => "<h1 id=status>支付未完成</h1>".to_string(),
    };
    Html(page("微信支付", "wx", &body)).into_response()
}

pub async fn wechat_action(
    State(state): State<Arc<SimState>>,
    Path((no, action)): Path<(String, String)>,
) -> Response {
    match act(&state, Channel::WeChat, &no, &action) {
        Some(t) if t.channel == Channel::WeChat => {
            see_other(&format!("/wechat/cashier/{}", t.out_trade_no))
        }
        _ => (StatusCode::NOT_FOUND, "订单不存在").into_response(),
    }
}
