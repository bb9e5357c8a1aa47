//! `[payment]`: order timing, the payment jobs, the in-process sandbox, and
//! the merchant accounts of 支付宝, 微信支付 and 对公转账. The WeChat Pay
//! APIv3 key is read here, from `CERTHALL_WECHAT_APIV3_KEY` or the file, and
//! nowhere else.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentConfig {
    /// An unpaid order expires after this many minutes. Default 30.
    pub order_minutes: u64,
    /// Ask the gateway about an order whose notify has not come after this many
    /// seconds. Default 60.
    pub poll_seconds: u64,
    /// How often the payment jobs (expiry, polling, refunds) run, seconds. Default 10.
    pub jobs_seconds: u64,
    /// Refund a rejected application even after its certificate was issued.
    pub refund_after_issuance: bool,
    /// Without [payment.alipay] / [payment.wechat], run the sandbox gateway in
    /// the server so the paid flow works with no set-up. Default true.
    pub sandbox: bool,
    /// Where the in-process sandbox listens. Default 127.0.0.1:0 (any free port).
    pub sandbox_listen: String,
    /// The gateways' notify retry schedule is multiplied by this in the sandbox.
    pub sandbox_retry_scale: f64,
    pub alipay: Option<AlipayConfig>,
    pub wechat: Option<WechatConfig>,
    pub bank: Option<BankConfig>,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            order_minutes: 30,
            poll_seconds: 60,
            jobs_seconds: 10,
            refund_after_issuance: false,
            sandbox: true,
            sandbox_listen: "127.0.0.1:0".into(),
            sandbox_retry_scale: 0.002,
            alipay: None,
            wechat: None,
            bank: None,
        }
    }
}

/// Alipay 电脑网站支付 (production or Alipay's own sandbox).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlipayConfig {
    /// e.g. https://openapi.alipay.com/gateway.do
    pub gateway: String,
    pub app_id: String,
    /// The application's private key (PKCS#8 PEM, or base64 as Alipay's tool writes it).
    pub merchant_key_file: PathBuf,
    /// Alipay's public key (PEM or base64).
    pub alipay_public_key_file: PathBuf,
}

/// WeChat Pay API v3, Native.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatConfig {
    /// e.g. https://api.mch.weixin.qq.com
    pub base: String,
    pub appid: String,
    pub mchid: String,
    /// Serial number of the merchant API certificate.
    pub merchant_serial: String,
    pub merchant_key_file: PathBuf,
    /// Serial and public key of the platform certificate.
    pub platform_serial: String,
    pub platform_key_file: PathBuf,
    /// The 32-character APIv3 key. Prefer CERTHALL_WECHAT_APIV3_KEY.
    pub api_v3_key: Option<String>,
}

/// The account holders transfer to for 对公转账.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankConfig {
    pub name: String,
    pub bank: String,
    pub account: String,
}

impl PaymentConfig {
    /// Checks every value; the WeChat Pay APIv3 key ends in `api_v3_key`
    /// whichever way it was given.
    pub(super) fn resolve(self) -> Result<PaymentConfig, ConfigError> {
        let mut payment = self;
        if !(1..=24 * 60).contains(&payment.order_minutes) {
            return Err(bad("payment.order_minutes", "must be between 1 and 1440"));
        }
        if payment.jobs_seconds == 0 || payment.poll_seconds == 0 {
            return Err(bad(
                "payment.jobs_seconds",
                "payment.jobs_seconds and payment.poll_seconds must be at least 1",
            ));
        }
        if payment.sandbox_listen.parse::<SocketAddr>().is_err() {
            return Err(bad(
                "payment.sandbox_listen",
                format!("`{}` is not an address:port", payment.sandbox_listen),
            ));
        }
        if !(payment.sandbox_retry_scale > 0.0 && payment.sandbox_retry_scale <= 1.0) {
            return Err(bad("payment.sandbox_retry_scale", "must be in (0, 1]"));
        }
        if let Some(a) = &payment.alipay {
            for (field, path) in [
                ("payment.alipay.merchant_key_file", &a.merchant_key_file),
                (
                    "payment.alipay.alipay_public_key_file",
                    &a.alipay_public_key_file,
                ),
            ] {
                if !path.exists() {
                    return Err(bad(field, format!("{} does not exist", path.display())));
                }
            }
        }
        if let Some(w) = &mut payment.wechat {
            for (field, path) in [
                ("payment.wechat.merchant_key_file", &w.merchant_key_file),
                ("payment.wechat.platform_key_file", &w.platform_key_file),
            ] {
                if !path.exists() {
                    return Err(bad(field, format!("{} does not exist", path.display())));
                }
            }
            let key = std::env::var("CERTHALL_WECHAT_APIV3_KEY")
                .ok()
                .filter(|k| !k.is_empty())
                .or(w.api_v3_key.take())
                .unwrap_or_default();
            if key.len() != 32 {
                return Err(bad(
                    "payment.wechat.api_v3_key",
                    "must be the 32-character APIv3 key (or set CERTHALL_WECHAT_APIV3_KEY)",
                ));
            }
            w.api_v3_key = Some(key);
        }
        Ok(payment)
    }
}
