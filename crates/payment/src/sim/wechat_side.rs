//! WeChat Pay v3's side: Native orders, query by out-trade-no, refunds. Every
//! request's `Authorization` is checked with the merchant's public key; every
//! answer is signed with the platform key.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::{Channel, SimState, SimStatus, SimTrade, now_ms};
use crate::wechat::{self, SignedRequest};

fn nonce() -> String {
    uuid::Uuid::now_v7().simple().to_string()[..32].to_uppercase()
}

/// A JSON answer signed as the platform signs.
pub(crate) fn signed(state: &SimState, status: StatusCode, body: serde_json::Value) -> Response {
    let text = body.to_string();
    let ts = (now_ms() / 1000).to_string();
    let n = nonce();
    let sig = state
        .config
        .platform_key
        .sign_base64(wechat::response_message(&ts, &n, &text).as_bytes())
        .unwrap_or_default();
    (
        status,
        [
            ("content-type", "application/json".to_string()),
            ("wechatpay-timestamp", ts),
            ("wechatpay-nonce", n),
            ("wechatpay-signature", sig),
            ("wechatpay-serial", state.config.platform_serial.clone()),
        ],
        text,
    )
        .into_response()
}

fn fail(state: &SimState, status: StatusCode, code: &str, message: &str) -> Response {
    signed(
        state,
        status,
        serde_json::json!({ "code": code, "message": message }),
    )
}

type Refusal = (StatusCode, &'static str, &'static str);

/// Checks the merchant's `Authorization` over this request.
fn check(
    state: &SimState,
    headers: &HeaderMap,
    method: &str,
    uri: &Uri,
    body: &str,
) -> Result<(), Refusal> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(f) = wechat::parse_authorization(auth) else {
        return Err((
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            "Authorization 格式错误",
        ));
    };
    if f.get("mchid") != Some(&state.config.wechat_mchid) {
        return Err((StatusCode::UNAUTHORIZED, "MCH_NOT_EXISTS", "商户号不存在"));
    }
    let ts: i64 = f.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    if (now_ms() / 1000 - ts).abs() > wechat::MAX_SKEW_SECS {
        return Err((StatusCode::UNAUTHORIZED, "SIGN_ERROR", "时间戳过期"));
    }
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let message = SignedRequest {
        method,
        path_and_query,
        timestamp: ts,
        nonce: f.get("nonce_str").map(String::as_str).unwrap_or_default(),
        body,
    }
    .message();
    state
        .config
        .merchant_wechat_public
        .verify_base64(
            message.as_bytes(),
            f.get("signature").map(String::as_str).unwrap_or_default(),
        )
        .map_err(|_| (StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误"))
}

pub async fn native(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> Response {
    if let Err((status, code, msg)) = check(&state, &headers, "POST", &uri, &body) {
        return fail(&state, status, code, msg);
    }
    let v: serde_json::Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(_) => {
            return fail(
                &state,
                StatusCode::BAD_REQUEST,
                "PARAM_ERROR",
                "body 不是 JSON",
            );
        }
    };
    if v["appid"] != state.config.wechat_appid.as_str()
        || v["mchid"] != state.config.wechat_mchid.as_str()
    {
        return fail(
            &state,
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        );
    }
    let no = v["out_trade_no"].as_str().unwrap_or_default().to_string();
    let Some(total) = v["amount"]["total"].as_i64().filter(|t| *t > 0) else {
        return fail(
            &state,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "amount.total",
        );
    };
    let made = state.open_trade(
        Channel::WeChat,
        &no,
        || SimTrade {
            channel: Channel::WeChat,
            out_trade_no: no.clone(),
            trade_no: format!("4200{}", &uuid::Uuid::now_v7().simple().to_string()[..24]),
            total_fen: total,
            subject: v["description"].as_str().unwrap_or_default().to_string(),
            notify_url: v["notify_url"].as_str().unwrap_or_default().to_string(),
            return_url: String::new(),
            status: SimStatus::Waiting,
            refunded_fen: 0,
            refunds: Vec::new(),
            paid_at_ms: 0,
            notified: false,
        },
        |t| {
            if t.total_fen == total {
                Ok(())
            } else {
                Err(())
            }
        },
    );
    if made.is_err() {
        return fail(
            &state,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "订单金额与原订单不一致",
        );
    }
    let code_url = format!(
        "{}/wechat/cashier/{no}",
        state.config.public_base.trim_end_matches('/')
    );
    signed(
        &state,
        StatusCode::OK,
        serde_json::json!({ "code_url": code_url }),
    )
}

pub(crate) fn transaction(state: &SimState, t: &SimTrade) -> serde_json::Value {
    let trade_state = match t.status {
        SimStatus::Paid if t.refunded_fen > 0 => "REFUND",
        SimStatus::Paid => "SUCCESS",
        SimStatus::Closed => "CLOSED",
        SimStatus::Failed => "PAYERROR",
        SimStatus::Waiting => "NOTPAY",
    };
    serde_json::json!({
        "appid": state.config.wechat_appid,
        "mchid": state.config.wechat_mchid,
        "out_trade_no": t.out_trade_no,
        "transaction_id": t.trade_no,
        "trade_type": "NATIVE",
        "trade_state": trade_state,
        "amount": { "total": t.total_fen, "payer_total": t.total_fen, "currency": "CNY" },
    })
}

pub async fn query(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    uri: Uri,
    Path(no): Path<String>,
) -> Response {
    if let Err((status, code, msg)) = check(&state, &headers, "GET", &uri, "") {
        return fail(&state, status, code, msg);
    }
    match state.trade(Channel::WeChat, &no) {
        Some(t) => signed(&state, StatusCode::OK, transaction(&state, &t)),
        None => fail(
            &state,
            StatusCode::NOT_FOUND,
            "ORDER_NOT_EXIST",
            "订单不存在",
        ),
    }
}

pub async fn refund(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> Response {
    if let Err((status, code, msg)) = check(&state, &headers, "POST", &uri, &body) {
        return fail(&state, status, code, msg);
    }
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let no = v["out_trade_no"].as_str().unwrap_or_default().to_string();
    let refund_no = v["out_refund_no"].as_str().unwrap_or_default().to_string();
    let amount = v["amount"]["refund"].as_i64().unwrap_or(0);
    let mut refused = None;
    let t = state.update(Channel::WeChat, &no, |t| {
        if t.refunds.contains(&refund_no) {
            return;
        }
        if t.status != SimStatus::Paid {
            refused = Some(("ORDER_NOT_EXIST", "订单未支付"));
        } else if amount <= 0 || t.refunded_fen + amount > t.total_fen {
            refused = Some(("NOT_ENOUGH", "退款金额超过可退金额"));
        } else {
            t.refunded_fen += amount;
            t.refunds.push(refund_no.clone());
        }
    });
    match (t, refused) {
        (None, _) => fail(
            &state,
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "订单不存在",
        ),
        (Some(_), Some((code, msg))) => fail(&state, StatusCode::BAD_REQUEST, code, msg),
        (Some(t), None) => signed(
            &state,
            StatusCode::OK,
            serde_json::json!({
                "refund_id": format!("5030{}", &uuid::Uuid::now_v7().simple().to_string()[..20]),
                "out_refund_no": refund_no,
                "out_trade_no": t.out_trade_no,
                "status": "SUCCESS",
                "amount": { "refund": amount, "total": t.total_fen, "currency": "CNY" },
            }),
        ),
    }
}
