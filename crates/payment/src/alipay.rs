//! Alipay 电脑网站支付, merchant side.
//!
//! Requests are form parameters signed RSA2: every non-empty parameter except
//! `sign`, sorted by name (ASCII), joined `k=v&…` with raw values, signed
//! SHA256withRSA and base64-encoded into `sign`. Notifies are verified the same
//! way without `sign` and `sign_type`, with Alipay's public key. Responses carry a
//! signature over the raw JSON of their `*_response` member.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::keys::{PrivateKey, PublicKey};
use crate::{PaymentError, parse_yuan, rawjson, yuan};

/// Alipay's own statuses that mean the money arrived.
pub const PAID_STATUSES: [&str; 2] = ["TRADE_SUCCESS", "TRADE_FINISHED"];

/// The string that is signed: sorted, non-empty, without the excluded names.
pub fn sign_content(params: &BTreeMap<String, String>, exclude: &[&str]) -> String {
    params
        .iter()
        .filter(|(k, v)| !v.is_empty() && !exclude.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Adds `sign` to a request's parameters.
pub fn sign(key: &PrivateKey, params: &mut BTreeMap<String, String>) -> Result<(), PaymentError> {
    let content = sign_content(params, &["sign"]);
    let sig = key.sign_base64(content.as_bytes())?;
    params.insert("sign".into(), sig);
    Ok(())
}

/// Checks a notify's (or, in the sandbox, a request's) signature.
pub fn verify(
    key: &PublicKey,
    params: &BTreeMap<String, String>,
    exclude: &[&str],
) -> Result<(), PaymentError> {
    let sig = params.get("sign").ok_or(PaymentError::Signature)?;
    key.verify_base64(sign_content(params, exclude).as_bytes(), sig)
}

/// The merchant's Alipay set-up.
#[derive(Clone)]
pub struct Alipay {
    /// `https://openapi.alipay.com/gateway.do`, or the sandbox's.
    pub gateway: String,
    pub app_id: String,
    pub merchant_key: Arc<PrivateKey>,
    pub alipay_key: PublicKey,
    pub notify_url: String,
    pub return_url: String,
    pub http: reqwest::Client,
}

/// A paid (or not) trade as a notify or query reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub out_trade_no: String,
    pub trade_no: String,
    pub total_fen: i64,
    pub trade_status: String,
}

impl Trade {
    pub fn paid(&self) -> bool {
        PAID_STATUSES.contains(&self.trade_status.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_fen: i64,
    /// `Y` when money moved.
    pub fund_change: bool,
}

impl Alipay {
    fn common(&self, method: &str, now_ms: i64) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("app_id".into(), self.app_id.clone());
        p.insert("method".into(), method.into());
        p.insert("format".into(), "JSON".into());
        p.insert("charset".into(), "utf-8".into());
        p.insert("sign_type".into(), "RSA2".into());
        p.insert(
            "timestamp".into(),
            domain::calendar::beijing_seconds(now_ms),
        );
        p.insert("version".into(), "1.0".into());
        p
    }

    /// The signed parameters of `alipay.trade.page.pay`.
    pub fn page_pay_params(
        &self,
        out_trade_no: &str,
        total_fen: i64,
        subject: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<BTreeMap<String, String>, PaymentError> {
        let mut p = self.common("alipay.trade.page.pay", now_ms);
        p.insert("notify_url".into(), self.notify_url.clone());
        p.insert("return_url".into(), self.return_url.clone());
        p.insert(
            "biz_content".into(),
            serde_json::json!({
                "out_trade_no": out_trade_no,
                "product_code": "FAST_INSTANT_TRADE_PAY",
                "total_amount": yuan(total_fen),
                "subject": subject,
                "time_expire": domain::calendar::beijing_seconds(expires_at_ms),
            })
            .to_string(),
        );
        sign(&self.merchant_key, &mut p)?;
        Ok(p)
    }

    /// Where to send the browser: the gateway with the signed request (GET).
    pub fn page_pay_url(
        &self,
        out_trade_no: &str,
        total_fen: i64,
        subject: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<String, PaymentError> {
        let p = self.page_pay_params(out_trade_no, total_fen, subject, expires_at_ms, now_ms)?;
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&p)
            .finish();
        Ok(format!("{}?{query}", self.gateway))
    }

    /// Verifies an async notify (form parameters) and reads the trade. Checks the
    /// signature and the app id; the caller checks the order and the amount.
    pub fn verify_notify(&self, params: &BTreeMap<String, String>) -> Result<Trade, PaymentError> {
        verify(&self.alipay_key, params, &["sign", "sign_type"])?;
        let get = |k: &str| params.get(k).cloned().unwrap_or_default();
        if get("app_id") != self.app_id {
            return Err(PaymentError::Mismatch {
                field: "app_id",
                expected: self.app_id.clone(),
                got: get("app_id"),
            });
        }
        Ok(Trade {
            out_trade_no: get("out_trade_no"),
            trade_no: get("trade_no"),
            total_fen: parse_yuan(&get("total_amount"))
                .ok_or_else(|| PaymentError::Malformed("total_amount".into()))?,
            trade_status: get("trade_status"),
        })
    }

    /// Calls a gateway method and returns its verified `*_response` object.
    async fn call(
        &self,
        method: &str,
        biz: serde_json::Value,
        now_ms: i64,
    ) -> Result<serde_json::Value, PaymentError> {
        let mut p = self.common(method, now_ms);
        p.insert("biz_content".into(), biz.to_string());
        sign(&self.merchant_key, &mut p)?;
        let text = self
            .http
            .post(&self.gateway)
            .form(&p)
            .send()
            .await?
            .text()
            .await?;
        let member = format!("{}_response", method.replace('.', "_"));
        let raw = rawjson::member(&text, &member)
            .ok_or_else(|| PaymentError::Malformed(format!("no {member} in the answer")))?;
        #[derive(Deserialize)]
        struct Signed {
            sign: String,
        }
        let signed: Signed =
            serde_json::from_str(&text).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        self.alipay_key
            .verify_base64(raw.as_bytes(), &signed.sign)?;
        let v: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        if v["code"] != "10000" {
            return Err(PaymentError::Refused(format!(
                "{} {}",
                v["sub_code"]
                    .as_str()
                    .unwrap_or(v["code"].as_str().unwrap_or("?")),
                v["sub_msg"]
                    .as_str()
                    .unwrap_or(v["msg"].as_str().unwrap_or(""))
            )));
        }
        Ok(v)
    }

    /// `alipay.trade.query` by our order number.
    pub async fn query(&self, out_trade_no: &str, now_ms: i64) -> Result<Trade, PaymentError> {
        let v = self
            .call(
                "alipay.trade.query",
                serde_json::json!({ "out_trade_no": out_trade_no }),
                now_ms,
            )
            .await?;
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Ok(Trade {
            out_trade_no: s("out_trade_no"),
            trade_no: s("trade_no"),
            total_fen: parse_yuan(&s("total_amount"))
                .ok_or_else(|| PaymentError::Malformed("total_amount".into()))?,
            trade_status: s("trade_status"),
        })
    }

    /// `alipay.trade.refund`; `out_request_no` makes retries idempotent.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        refund_fen: i64,
        out_request_no: &str,
        now_ms: i64,
    ) -> Result<Refund, PaymentError> {
        let v = self
            .call(
                "alipay.trade.refund",
                serde_json::json!({
                    "out_trade_no": out_trade_no,
                    "refund_amount": yuan(refund_fen),
                    "out_request_no": out_request_no,
                }),
                now_ms,
            )
            .await?;
        Ok(Refund {
            refund_fen: parse_yuan(v["refund_fee"].as_str().unwrap_or("0.00")).unwrap_or(0),
            fund_change: v["fund_change"] == "Y",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_string_follows_the_rules() {
        let mut p = BTreeMap::new();
        p.insert("sign".to_string(), "x".to_string());
        p.insert("b".to_string(), "2".to_string());
        p.insert("a".to_string(), "1 & 汉字".to_string());
        p.insert("empty".to_string(), String::new());
        p.insert("sign_type".to_string(), "RSA2".to_string());
        assert_eq!(sign_content(&p, &["sign"]), "a=1 & 汉字&b=2&sign_type=RSA2");
        assert_eq!(sign_content(&p, &["sign", "sign_type"]), "a=1 & 汉字&b=2");
    }
}
