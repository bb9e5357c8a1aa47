//! Where the gateways report payments. Every refusal is logged (by the RA) and
//! answered so the gateway retries; nothing changes unless the notify holds.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use payment::wechat::SignatureHeaders;

use crate::AppState;

/// Alipay wants the body `success`; anything else means "try again".
pub async fn alipay(
    State(s): State<AppState>,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    match s.ra.alipay_notify(&params).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "Alipay notify accepted");
            "success".into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "Alipay notify refused");
            "fail".into_response()
        }
    }
}

/// WeChat wants 2xx; 4xx with `{"code":"FAIL"}` means "try again".
pub async fn wechat(State(s): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let sig = SignatureHeaders {
        timestamp: h("wechatpay-timestamp"),
        nonce: h("wechatpay-nonce"),
        signature: h("wechatpay-signature"),
        serial: h("wechatpay-serial"),
    };
    match s.ra.wechat_notify(&sig, &body).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "WeChat Pay notify accepted");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "WeChat Pay notify refused");
            (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/json")],
                serde_json::json!({ "code": "FAIL", "message": e.to_string() }).to_string(),
            )
                .into_response()
        }
    }
}
