//! The sandbox gateway: the other side of both protocols, over real HTTP, with
//! its own keys. A cashier page lets a person (or a test) pay, fail or cancel;
//! signed notifies follow the gateways' retry schedules (scaled down by
//! configuration); query and refund answer as the real gateways do.
//!
//! It checks every merchant request's signature with the merchant's public key,
//! so a merchant that signs wrongly fails here exactly as it would in production.
//!
//! Like a real gateway it keeps its trades: with a journal file (in the data
//! directory) every change is written before it is answered, and a restarted
//! sandbox knows what was paid and sends the notifies it still owes.

mod alipay_side;
mod cashier;
mod notify;
mod wechat_side;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Channel {
    Alipay,
    WeChat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SimStatus {
    Waiting,
    Paid,
    Failed,
    Closed,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// The merchant acknowledged the notify.
    #[serde(default)]
    pub notified: bool,
}

pub struct SimState {
    pub config: SimConfig,
    /// Each gateway's trades by the merchant's order number: the two gateways
    /// are separate companies, so one order number may be paid at both.
    pub trades: Mutex<HashMap<(Channel, String), SimTrade>>,
    pub http: reqwest::Client,
    /// Notifies delivered (channel, out_trade_no, attempt), for tests and the log.
    pub delivered: Mutex<Vec<(Channel, String, u32)>>,
    /// Where the trades are kept (None: in memory only).
    journal: Option<std::path::PathBuf>,
}

impl SimState {
    /// One gateway's trade.
    pub fn trade(&self, channel: Channel, out_trade_no: &str) -> Option<SimTrade> {
        self.trades
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(channel, out_trade_no.to_string()))
            .cloned()
    }

    fn update(
        &self,
        channel: Channel,
        out_trade_no: &str,
        f: impl FnOnce(&mut SimTrade),
    ) -> Option<SimTrade> {
        let mut map = self.trades.lock().unwrap_or_else(PoisonError::into_inner);
        let t = map.get_mut(&(channel, out_trade_no.to_string()))?;
        f(t);
        let t = t.clone();
        self.save(&map);
        Some(t)
    }

    /// The trade for `out_trade_no` at `channel`, made with `make` if new;
    /// `check` may refuse an existing one (an amount changed, say).
    fn open_trade<E>(
        &self,
        channel: Channel,
        out_trade_no: &str,
        make: impl FnOnce() -> SimTrade,
        check: impl FnOnce(&SimTrade) -> Result<(), E>,
    ) -> Result<SimTrade, E> {
        let mut map = self.trades.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (channel, out_trade_no.to_string());
        let new = !map.contains_key(&key);
        let t = map.entry(key).or_insert_with(make).clone();
        check(&t)?;
        if new {
            self.save(&map);
        }
        Ok(t)
    }

    /// Writes every trade to the journal (whole, then renamed), under the
    /// trades lock so writes keep their order.
    fn save(&self, map: &HashMap<(Channel, String), SimTrade>) {
        let Some(path) = &self.journal else {
            return;
        };
        let trades: Vec<&SimTrade> = map.values().collect();
        let tmp = path.with_extension("json.tmp");
        let written = serde_json::to_vec(&trades)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::error!(journal = %path.display(), error = %e, "sandbox trades not saved");
        }
    }

    /// Sends the notifies a restarted sandbox still owes: trades paid but not
    /// acknowledged.
    pub fn resume(self: &Arc<Self>) {
        let owed: Vec<SimTrade> = self
            .trades
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|t| t.status == SimStatus::Paid && !t.notified)
            .cloned()
            .collect();
        for t in owed {
            tracing::info!(out_trade_no = %t.out_trade_no, "sandbox: resuming a notify owed before the restart");
            notify::spawn(self.clone(), t);
        }
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

/// A sandbox whose trades live in memory only.
pub fn new_state(config: SimConfig) -> Arc<SimState> {
    Arc::new(SimState {
        config,
        trades: Mutex::new(HashMap::new()),
        http: reqwest::Client::new(),
        delivered: Mutex::new(Vec::new()),
        journal: None,
    })
}

/// A sandbox that keeps its trades in `journal` (read back if it exists).
/// Call `resume` once it serves, for the notifies it still owes.
pub fn with_journal(
    config: SimConfig,
    journal: std::path::PathBuf,
) -> std::io::Result<Arc<SimState>> {
    let mut trades = HashMap::new();
    match std::fs::read(&journal) {
        Ok(bytes) => {
            let saved: Vec<SimTrade> = serde_json::from_slice(&bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            for t in saved {
                trades.insert((t.channel, t.out_trade_no.clone()), t);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(Arc::new(SimState {
        config,
        trades: Mutex::new(trades),
        http: reqwest::Client::new(),
        delivered: Mutex::new(Vec::new()),
        journal: Some(journal),
    }))
}
