//! The Alipay gateway's side: `gateway.do` for page.pay (GET, the browser),
//! query, refund and close (POST, the merchant's server).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{Channel, SimState, SimStatus, SimTrade, cashier, esc};
use crate::{alipay, parse_yuan, yuan};

/// Alipay's response: the `*_response` object, and its signature over those bytes.
pub(crate) fn signed_response(state: &SimState, method: &str, body: serde_json::Value) -> Response {
    let raw = body.to_string();
    let sign = state
        .config
        .alipay_key
        .sign_base64(raw.as_bytes())
        .unwrap_or_default();
    let member = format!("{}_response", method.replace('.', "_"));
    let text = format!("{{\"{member}\":{raw},\"sign\":\"{sign}\"}}");
    ([("content-type", "application/json;charset=utf-8")], text).into_response()
}

fn error_page(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>支付宝（沙箱）</title><h1>请求无效</h1><p id=error>{}</p>",
            esc(msg)
        )),
    )
        .into_response()
}

/// Checks a merchant request: signature (over everything but `sign`) and app id.
fn check(state: &SimState, p: &BTreeMap<String, String>) -> Result<(), String> {
    alipay::verify(&state.config.merchant_alipay_public, p, &["sign"])
        .map_err(|_| "invalid-signature: 验签出错".to_string())?;
    if p.get("app_id") != Some(&state.config.alipay_app_id) {
        return Err("isv.invalid-app-id: 无效的AppID参数".into());
    }
    Ok(())
}

pub async fn page_pay(
    State(state): State<Arc<SimState>>,
    Query(p): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(e) = check(&state, &p) {
        return error_page(&e);
    }
    if p.get("method").map(String::as_str) != Some("alipay.trade.page.pay") {
        return error_page("unknown method");
    }
    let biz: serde_json::Value = match p.get("biz_content").map(|b| serde_json::from_str(b)) {
        Some(Ok(v)) => v,
        _ => return error_page("biz_content is not JSON"),
    };
    let out_trade_no = biz["out_trade_no"].as_str().unwrap_or_default().to_string();
    let Some(total_fen) = biz["total_amount"].as_str().and_then(parse_yuan) else {
        return error_page("total_amount");
    };
    if out_trade_no.is_empty() {
        return error_page("out_trade_no");
    }
    let made = state.open_trade(
        Channel::Alipay,
        &out_trade_no,
        || SimTrade {
            channel: Channel::Alipay,
            trade_no: format!("2026{}", &uuid::Uuid::now_v7().simple().to_string()[..24]),
            out_trade_no: out_trade_no.clone(),
            total_fen,
            subject: biz["subject"].as_str().unwrap_or_default().to_string(),
            notify_url: p.get("notify_url").cloned().unwrap_or_default(),
            return_url: p.get("return_url").cloned().unwrap_or_default(),
            status: SimStatus::Waiting,
            refunded_fen: 0,
            refunds: Vec::new(),
            paid_at_ms: 0,
            notified: false,
        },
        |t| {
            if t.total_fen == total_fen {
                Ok(())
            } else {
                Err(())
            }
        },
    );
    let Ok(trade) = made else {
        return error_page("ACQ.CONTEXT_INCONSISTENT: 交易信息被篡改");
    };
    Html(cashier::alipay_page(&trade)).into_response()
}

pub async fn api(
    State(state): State<Arc<SimState>>,
    Form(p): Form<BTreeMap<String, String>>,
) -> Response {
    let method = p.get("method").cloned().unwrap_or_default();
    if let Err(e) = check(&state, &p) {
        let (code, msg) = e.split_once(": ").unwrap_or(("", ""));
        return signed_response(
            &state,
            &method,
            serde_json::json!({ "code": "40002", "msg": "Invalid Arguments", "sub_code": code, "sub_msg": msg }),
        );
    }
    let biz: serde_json::Value = p
        .get("biz_content")
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    let no = biz["out_trade_no"].as_str().unwrap_or_default().to_string();
    let not_exist = || serde_json::json!({ "code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在" });
    match method.as_str() {
        "alipay.trade.query" => {
            let Some(t) = state.trade(Channel::Alipay, &no) else {
                return signed_response(&state, &method, not_exist());
            };
            let status = match (t.status, t.refunded_fen >= t.total_fen && t.total_fen > 0) {
                (SimStatus::Paid, true) => "TRADE_CLOSED",
                (SimStatus::Paid, false) => "TRADE_SUCCESS",
                (SimStatus::Closed, _) => "TRADE_CLOSED",
                _ => "WAIT_BUYER_PAY",
            };
            signed_response(
                &state,
                &method,
                serde_json::json!({
                    "code": "10000", "msg": "Success",
                    "out_trade_no": t.out_trade_no, "trade_no": t.trade_no,
                    "trade_status": status, "total_amount": yuan(t.total_fen),
                }),
            )
        }
        "alipay.trade.refund" => {
            let request_no = biz["out_request_no"].as_str().unwrap_or_default().to_string();
            let Some(amount) = biz["refund_amount"].as_str().and_then(parse_yuan) else {
                return signed_response(&state, &method, serde_json::json!({ "code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter", "sub_msg": "refund_amount" }));
            };
            let mut refused = None;
            let t = state.update(Channel::Alipay, &no, |t| {
                if t.refunds.contains(&request_no) {
                    return;
                }
                if t.status != SimStatus::Paid {
                    refused = Some("ACQ.TRADE_STATUS_ERROR");
                } else if t.refunded_fen + amount > t.total_fen {
                    refused = Some("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
                } else {
                    t.refunded_fen += amount;
                    t.refunds.push(request_no.clone());
                }
            });
            match (t, refused) {
                (None, _) => signed_response(&state, &method, not_exist()),
                (Some(_), Some(code)) => signed_response(&state, &method, serde_json::json!({ "code": "40004", "msg": "Business Failed", "sub_code": code, "sub_msg": "退款失败" })),
                (Some(t), None) => signed_response(
                    &state,
                    &method,
                    serde_json::json!({
                        "code": "10000", "msg": "Success", "out_trade_no": t.out_trade_no, "trade_no": t.trade_no,
                        "fund_change": "Y", "refund_fee": yuan(t.refunded_fen),
                    }),
                ),
            }
        }
        "alipay.trade.close" => {
            let t = state.update(Channel::Alipay, &no, |t| {
                if t.status == SimStatus::Waiting {
                    t.status = SimStatus::Closed;
                }
            });
            match t {
                None => signed_response(&state, &method, not_exist()),
                Some(t) => signed_response(&state, &method, serde_json::json!({ "code": "10000", "msg": "Success", "out_trade_no": t.out_trade_no, "trade_no": t.trade_no })),
            }
        }
        _ => signed_response(&state, &method, serde_json::json!({ "code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-method", "sub_msg": "不存在的方法名" })),
    }
    .into_response()
}
