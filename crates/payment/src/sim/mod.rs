//! The sandbox gateway: the other side of both protocols, over real HTTP, with
//! its own keys. A cashier page lets a person (or a test) pay, fail or cancel;
//! signed notifies follow the gateways' retry schedules (scaled down by
//! configuration); query and refund answer as the real gateways do.
//!
//! It checks every merchant request's signature with the merchant's public key,
//! so a merchant that signs wrongly fails here exactly as it would in production.

mod alipay_side;
mod cashier;
mod notify;
mod wechat_side;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::keys::{PrivateKey, PublicKey};

/// Who the sandbox is and whom it serves.
pub struct SimConfig {
    /// Base URL where the sandbox is reachable (for cashier links and QR codes).
    pub public_base: String,
    pub alipay_app_id: String,
    pub wechat_appid: String,
    pub wechat_mchid: String,
    pub platform_serial: String,
    /// The gateways' own keys.
    pub alipay_key: PrivateKey,
    pub platform_key: PrivateKey,
    /// The merchant's public keys (requests are verified with them).
    pub merchant_alipay_public: PublicKey,
    pub merchant_wechat_public: PublicKey,
    pub api_v3_key: [u8; 32],
    /// Real retry delays are multiplied by this (1.0 = the gateways' schedule).
    pub retry_scale: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Alipay,
    WeChat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimStatus {
    Waiting,
    Paid,
    Failed,
    Closed,
}

#[derive(Debug, Clone)]
pub struct SimTrade {
    pub channel: Channel,
    pub out_trade_no: String,
    pub trade_no: String,
    pub total_fen: i64,
    pub subject: String,
    pub notify_url: String,
    pub return_url: String,
    pub status: SimStatus,
    pub refunded_fen: i64,
    /// Refund request numbers already done (idempotency).
    pub refunds: Vec<String>,
    pub paid_at_ms: i64,
}

pub struct SimState {
    pub config: SimConfig,
    /// Each gateway's trades by the merchant's order number: the two gateways
    /// are separate companies, so one order number may be paid at both.
    pub trades: Mutex<HashMap<(Channel, String), SimTrade>>,
    pub http: reqwest::Client,
    /// Notifies delivered (channel, out_trade_no, attempt), for tests and the log.
    pub delivered: Mutex<Vec<(Channel, String, u32)>>,
}

impl SimState {
    /// One gateway's trade.
    pub fn trade(&self, channel: Channel, out_trade_no: &str) -> Option<SimTrade> {
        self.trades
            .lock()
            .expect("trades lock")
            .get(&(channel, out_trade_no.to_string()))
            .cloned()
    }

    fn update(
        &self,
        channel: Channel,
        out_trade_no: &str,
        f: impl FnOnce(&mut SimTrade),
    ) -> Option<SimTrade> {
        let mut map = self.trades.lock().expect("trades lock");
        let t = map.get_mut(&(channel, out_trade_no.to_string()))?;
        f(t);
        Some(t.clone())
    }

    fn delay(&self, real: Duration) -> Duration {
        real.mul_f64(self.config.retry_scale.clamp(0.000_001, 1.0))
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// HTML-escapes text for the cashier pages.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sandbox's routes.
pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(
            "/alipay/gateway.do",
            get(alipay_side::page_pay).post(alipay_side::api),
        )
        .route(
            "/alipay/cashier/{no}/{action}",
            post(cashier::alipay_action),
        )
        .route("/v3/pay/transactions/native", post(wechat_side::native))
        .route(
            "/v3/pay/transactions/out-trade-no/{no}",
            get(wechat_side::query),
        )
        .route("/v3/refund/domestic/refunds", post(wechat_side::refund))
        .route("/wechat/cashier/{no}", get(cashier::wechat_page))
        .route(
            "/wechat/cashier/{no}/{action}",
            post(cashier::wechat_action),
        )
        .route("/", get(cashier::index))
        .with_state(state)
}

pub fn new_state(config: SimConfig) -> Arc<SimState> {
    Arc::new(SimState {
        config,
        trades: Mutex::new(HashMap::new()),
        http: reqwest::Client::new(),
        delivered: Mutex::new(Vec::new()),
    })
}
