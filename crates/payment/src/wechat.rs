//! WeChat Pay API v3, Native (QR code) payments, merchant side.
//!
//! Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
//! timestamp=…,serial_no=…,signature=…`, the signature being SHA256withRSA with the
//! merchant key over `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`. Responses and
//! notifies are signed by the platform key over `TIMESTAMP\nNONCE\nBODY\n`
//! (headers Wechatpay-Timestamp, -Nonce, -Signature, -Serial). A notify's payload
//! is encrypted with AEAD_AES_256_GCM under the merchant's APIv3 key.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::PaymentError;
use crate::keys::{PrivateKey, PublicKey};

/// Notifies and responses older than this are refused (replay protection).
pub const MAX_SKEW_SECS: i64 = 300;

/// A merchant request as it is signed.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
    pub body: &'a str,
}

impl SignedRequest<'_> {
    /// `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`
    pub fn message(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n",
            self.method, self.path_and_query, self.timestamp, self.nonce, self.body
        )
    }
}

pub fn response_message(timestamp: &str, nonce: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{body}\n")
}

/// The `Authorization` header of a merchant request.
pub fn authorization(
    key: &PrivateKey,
    mchid: &str,
    serial_no: &str,
    req: &SignedRequest<'_>,
) -> Result<String, PaymentError> {
    let signature = key.sign_base64(req.message().as_bytes())?;
    Ok(format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",nonce_str=\"{}\",signature=\"{signature}\",timestamp=\"{}\",serial_no=\"{serial_no}\"",
        req.nonce, req.timestamp
    ))
}

/// The fields of an `Authorization` header, for the gateway side.
pub fn parse_authorization(header: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let rest = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let mut out = std::collections::BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        out.insert(k.to_string(), v.trim_matches('"').to_string());
    }
    Some(out)
}

/// Decrypts an `encrypt-resource` with the APIv3 key.
pub fn decrypt_resource(
    api_v3_key: &[u8; 32],
    nonce: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, PaymentError> {
    let nonce: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| PaymentError::Malformed("resource nonce must be 12 bytes".into()))?;
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64)
        .map_err(|_| PaymentError::Malformed("ciphertext is not base64".into()))?;
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, api_v3_key)
            .map_err(|_| PaymentError::Key("APIv3 key".into()))?,
    );
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(associated_data.as_bytes()),
            &mut data,
        )
        .map_err(|_| PaymentError::Signature)?;
    Ok(plain.to_vec())
}

/// Encrypts a resource (the gateway side, i.e. the sandbox).
pub fn encrypt_resource(
    api_v3_key: &[u8; 32],
    nonce: &str,
    associated_data: &str,
    plain: &[u8],
) -> Result<String, PaymentError> {
    let nonce: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| PaymentError::Malformed("resource nonce must be 12 bytes".into()))?;
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, api_v3_key)
            .map_err(|_| PaymentError::Key("APIv3 key".into()))?,
    );
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(associated_data.as_bytes()),
        &mut data,
    )
    .map_err(|_| PaymentError::Key("encrypt".into()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(data))
}

/// A transaction as a notify or a query describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: String,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR.
    pub trade_state: String,
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub total: i64,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".into()
}

/// The signature headers of a response or notify.
#[derive(Debug, Clone)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

#[derive(Debug, Deserialize)]
struct NotifyBody {
    event_type: String,
    resource: Resource,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// The merchant's WeChat Pay set-up.
#[derive(Clone)]
pub struct WeChat {
    /// `https://api.mch.weixin.qq.com`, or the sandbox's.
    pub base: String,
    pub appid: String,
    pub mchid: String,
    /// Serial number of the merchant's API certificate.
    pub merchant_serial: String,
    pub merchant_key: Arc<PrivateKey>,
    /// The platform certificate's serial and public key.
    pub platform_serial: String,
    pub platform_key: PublicKey,
    pub api_v3_key: [u8; 32],
    pub notify_url: String,
    pub http: reqwest::Client,
}

fn nonce_str() -> Result<String, PaymentError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| PaymentError::Key("no random bytes for the request's nonce".into()))?;
    Ok(b.iter().map(|x| format!("{x:02X}")).collect())
}

impl WeChat {
    /// Checks the platform's signature on a response or notify body.
    pub fn verify(
        &self,
        h: &SignatureHeaders,
        body: &str,
        now_secs: i64,
    ) -> Result<(), PaymentError> {
        if h.serial != self.platform_serial {
            return Err(PaymentError::Mismatch {
                field: "Wechatpay-Serial",
                expected: self.platform_serial.clone(),
                got: h.serial.clone(),
            });
        }
        let ts: i64 = h
            .timestamp
            .parse()
            .map_err(|_| PaymentError::Malformed("timestamp".into()))?;
        if (now_secs - ts).abs() > MAX_SKEW_SECS {
            return Err(PaymentError::Malformed(
                "timestamp too far from now (replay?)".into(),
            ));
        }
        self.platform_key.verify_base64(
            response_message(&h.timestamp, &h.nonce, body).as_bytes(),
            &h.signature,
        )
    }

    /// Verifies and decrypts a payment notify; checks app and merchant ids. The
    /// caller checks the order and the amount.
    pub fn verify_notify(
        &self,
        h: &SignatureHeaders,
        body: &str,
        now_secs: i64,
    ) -> Result<Transaction, PaymentError> {
        self.verify(h, body, now_secs)?;
        let n: NotifyBody =
            serde_json::from_str(body).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        if n.resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(PaymentError::Malformed(format!(
                "algorithm {}",
                n.resource.algorithm
            )));
        }
        let plain = decrypt_resource(
            &self.api_v3_key,
            &n.resource.nonce,
            &n.resource.associated_data,
            &n.resource.ciphertext,
        )?;
        let t: Transaction =
            serde_json::from_slice(&plain).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        if n.event_type != "TRANSACTION.SUCCESS" && t.trade_state == "SUCCESS" {
            return Err(PaymentError::Malformed(format!(
                "event {} with a successful trade",
                n.event_type
            )));
        }
        self.check_ids(&t)?;
        Ok(t)
    }

    fn check_ids(&self, t: &Transaction) -> Result<(), PaymentError> {
        if t.appid != self.appid {
            return Err(PaymentError::Mismatch {
                field: "appid",
                expected: self.appid.clone(),
                got: t.appid.clone(),
            });
        }
        if t.mchid != self.mchid {
            return Err(PaymentError::Mismatch {
                field: "mchid",
                expected: self.mchid.clone(),
                got: t.mchid.clone(),
            });
        }
        Ok(())
    }

    /// Sends a signed request; returns the verified body.
    async fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<String>,
        now_secs: i64,
    ) -> Result<(u16, String), PaymentError> {
        let body_text = body.unwrap_or_default();
        let nonce = nonce_str()?;
        let auth = authorization(
            &self.merchant_key,
            &self.mchid,
            &self.merchant_serial,
            &SignedRequest {
                method: method.as_str(),
                path_and_query,
                timestamp: now_secs,
                nonce: &nonce,
                body: &body_text,
            },
        )?;
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("authorization", auth)
            .header("accept", "application/json");
        if !body_text.is_empty() {
            req = req
                .header("content-type", "application/json")
                .body(body_text);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let h = SignatureHeaders {
            timestamp: header("wechatpay-timestamp"),
            nonce: header("wechatpay-nonce"),
            signature: header("wechatpay-signature"),
            serial: header("wechatpay-serial"),
        };
        let text = resp.text().await?;
        self.verify(&h, &text, now_secs)?;
        if !(200..300).contains(&status) {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            return Err(PaymentError::Refused(format!(
                "{} {}",
                v["code"].as_str().unwrap_or("?"),
                v["message"].as_str().unwrap_or("")
            )));
        }
        Ok((status, text))
    }

    /// `POST /v3/pay/transactions/native`: the `code_url` to show as a QR code.
    pub async fn native(
        &self,
        out_trade_no: &str,
        description: &str,
        total_fen: i64,
        expires_at_ms: i64,
        now_secs: i64,
    ) -> Result<String, PaymentError> {
        let body = serde_json::json!({
            "appid": self.appid,
            "mchid": self.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "time_expire": domain::calendar::rfc3339_beijing(expires_at_ms),
            "notify_url": self.notify_url,
            "amount": { "total": total_fen, "currency": "CNY" },
        })
        .to_string();
        let (_, text) = self
            .request(
                reqwest::Method::POST,
                "/v3/pay/transactions/native",
                Some(body),
                now_secs,
            )
            .await?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        v["code_url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PaymentError::Malformed("no code_url".into()))
    }

    /// `GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`.
    pub async fn query(
        &self,
        out_trade_no: &str,
        now_secs: i64,
    ) -> Result<Transaction, PaymentError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.mchid
        );
        let (_, text) = self
            .request(reqwest::Method::GET, &path, None, now_secs)
            .await?;
        let t: Transaction =
            serde_json::from_str(&text).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        self.check_ids(&t)?;
        Ok(t)
    }

    /// `POST /v3/refund/domestic/refunds`; returns the refund status
    /// (SUCCESS, PROCESSING, ABNORMAL, CLOSED).
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund_fen: i64,
        total_fen: i64,
        now_secs: i64,
    ) -> Result<String, PaymentError> {
        let body = serde_json::json!({
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": { "refund": refund_fen, "total": total_fen, "currency": "CNY" },
        })
        .to_string();
        let (_, text) = self
            .request(
                reqwest::Method::POST,
                "/v3/refund/domestic/refunds",
                Some(body),
                now_secs,
            )
            .await?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| PaymentError::Malformed(e.to_string()))?;
        Ok(v["status"].as_str().unwrap_or("PROCESSING").to_string())
    }
}
