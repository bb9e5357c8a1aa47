//! Asynchronous notifies, signed as each gateway signs them, retried on the
//! gateway's schedule (scaled) until the merchant acknowledges: Alipay wants the
//! body `success`, WeChat a 2xx.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use super::wechat_side::transaction;
use super::{Channel, SimState, SimTrade, now_ms};
use crate::{alipay, wechat, yuan};

/// Alipay: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first attempt.
const ALIPAY: [u64; 8] = [0, 240, 600, 600, 3600, 7200, 21_600, 54_000];
/// WeChat: 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h.
const WECHAT: [u64; 16] = [
    0, 15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600,
];

pub fn spawn(state: Arc<SimState>, t: SimTrade) {
    tokio::spawn(async move {
        let schedule: &[u64] = match t.channel {
            Channel::Alipay => &ALIPAY,
            Channel::WeChat => &WECHAT,
        };
        for (attempt, secs) in schedule.iter().enumerate() {
            tokio::time::sleep(state.delay(Duration::from_secs(*secs))).await;
            let ok = match t.channel {
                Channel::Alipay => alipay_once(&state, &t).await,
                Channel::WeChat => wechat_once(&state, &t).await,
            };
            tracing::info!(out_trade_no = %t.out_trade_no, attempt, acknowledged = ok, "sandbox notify sent");
            if ok {
                state.update(t.channel, &t.out_trade_no, |t| t.notified = true);
                state
                    .delivered
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((t.channel, t.out_trade_no.clone(), attempt as u32 + 1));
                return;
            }
        }
    });
}

async fn alipay_once(state: &SimState, t: &SimTrade) -> bool {
    let mut p = BTreeMap::new();
    let now = domain::calendar::beijing_seconds(now_ms());
    for (k, v) in [
        ("notify_time", now.clone()),
        ("notify_type", "trade_status_sync".into()),
        ("notify_id", uuid::Uuid::now_v7().simple().to_string()),
        ("app_id", state.config.alipay_app_id.clone()),
        ("charset", "utf-8".into()),
        ("version", "1.0".into()),
        ("sign_type", "RSA2".into()),
        ("trade_no", t.trade_no.clone()),
        ("out_trade_no", t.out_trade_no.clone()),
        ("trade_status", "TRADE_SUCCESS".into()),
        ("total_amount", yuan(t.total_fen)),
        ("receipt_amount", yuan(t.total_fen)),
        ("gmt_payment", now),
        ("subject", t.subject.clone()),
    ] {
        p.insert(k.to_string(), v);
    }
    let content = alipay::sign_content(&p, &["sign", "sign_type"]);
    let Ok(sig) = state.config.alipay_key.sign_base64(content.as_bytes()) else {
        return false;
    };
    p.insert("sign".into(), sig);
    match state.http.post(&t.notify_url).form(&p).send().await {
        Ok(r) => r
            .text()
            .await
            .map(|b| b.trim() == "success")
            .unwrap_or(false),
        Err(_) => false,
    }
}

async fn wechat_once(state: &SimState, t: &SimTrade) -> bool {
    let plain = transaction(state, t).to_string();
    let nonce: String = uuid::Uuid::now_v7().simple().to_string()[20..32].to_string();
    let Ok(ciphertext) = wechat::encrypt_resource(
        &state.config.api_v3_key,
        &nonce,
        "transaction",
        plain.as_bytes(),
    ) else {
        return false;
    };
    let body = serde_json::json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "create_time": domain::calendar::rfc3339_beijing(now_ms()),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "transaction",
            "nonce": nonce,
        },
    })
    .to_string();
    let ts = (now_ms() / 1000).to_string();
    let n = uuid::Uuid::now_v7().simple().to_string().to_uppercase();
    let Ok(sig) = state
        .config
        .platform_key
        .sign_base64(wechat::response_message(&ts, &n, &body).as_bytes())
    else {
        return false;
    };
    match state
        .http
        .post(&t.notify_url)
        .header("content-type", "application/json")
        .header("wechatpay-timestamp", ts)
        .header("wechatpay-nonce", n)
        .header("wechatpay-signature", sig)
        .header("wechatpay-serial", state.config.platform_serial.clone())
        .body(body)
        .send()
        .await
    {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}
