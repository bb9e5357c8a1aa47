//! The server's API as the assistant uses it: 办事大厅, the hand-off, and the
//! proved calls of the change flow. Each proved call takes a fresh challenge and
//! a signature made inside the token over a message naming its purpose.

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::Error;

/// The proof of possession: the token signs `message` (made from the nonce).
pub trait Prover {
    fn certificate_der(&self) -> &[u8];
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

pub struct Client {
    base: String,
    http: reqwest::blocking::Client,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Business {
    pub key: String,
    pub name: String,
    pub prices: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppStatus {
    pub id: String,
    pub business: String,
    pub business_name: String,
    pub state: String,
    pub state_label: String,
    /// This certificate is the one the application produced (not the one it
    /// started from).
    #[serde(default)]
    pub issued_here: bool,
    /// The certificate the application started from.
    #[serde(default)]
    pub from_serial: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CertStatus {
    pub serial: String,
    pub status: String,
    pub common_name: String,
    pub organization: Option<String>,
    pub not_before: String,
    pub not_after: String,
    pub applications: Vec<AppStatus>,
    /// 在线延期 now (absent from older servers).
    #[serde(default)]
    pub renewal: Option<Renewal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Renewal {
    pub available: bool,
    pub reason: Option<String>,
}

impl CertStatus {
    /// `在线延期：可办理`, or why not; nothing from a server that does not say.
    pub fn renewal_line(&self) -> Option<String> {
        let r = self.renewal.as_ref()?;
        Some(if r.available {
            "在线延期：可办理".to_string()
        } else {
            format!(
                "在线延期：暂不可办理（{}）",
                r.reason.as_deref().unwrap_or("未说明原因")
            )
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Issued {
    pub application_id: String,
    pub serial: String,
    pub certificate_pem: String,
}

/// The approved seal image, as the server sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct Seal {
    pub application_id: String,
    /// Hex.
    pub sha256: String,
    /// Base64 of the PNG.
    pub png: String,
}

#[derive(Deserialize)]
struct Challenge {
    nonce: String,
}

#[derive(Deserialize)]
struct Link {
    url: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Client {
    pub fn new(base: &str) -> Result<Client, Error> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("certhall-assistant/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    fn answer<T: for<'de> Deserialize<'de>>(r: reqwest::blocking::Response) -> Result<T, Error> {
        let status = r.status();
        let text = r.text().map_err(|e| Error::Network(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|_| Error::Server(format!("服务器的回答无法识别（HTTP {status}）")));
        }
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(Error::Refused(message))
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, Error> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .map_err(|e| Error::Network(e.to_string()))?;
        Self::answer(r)
    }

    fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, Error> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept-language", "zh-CN")
            .json(body)
            .send()
            .map_err(|e| Error::Network(e.to_string()))?;
        Self::answer(r)
    }

    fn nonce(&self) -> Result<String, Error> {
        Ok(self
            .post::<Challenge>("/api/v1/handoff/challenge", &json!({}))?
            .nonce)
    }

    /// 办事大厅: the businesses the server offers.
    pub fn businesses(&self) -> Result<Vec<Business>, Error> {
        self.get("/api/v1/businesses")
    }

    /// A signed call: `message(nonce)` is what the token signs.
    fn proved<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        prover: &dyn Prover,
        message: impl Fn(&str) -> String,
        extra: Option<(&str, String)>,
    ) -> Result<T, Error> {
        let nonce = self.nonce()?;
        let signature = prover.sign(message(&nonce).as_bytes())?;
        let mut body = json!({
            "certificate": b64(prover.certificate_der()),
            "nonce": nonce,
            "signature": b64(&signature),
        });
        if let Some((k, v)) = extra {
            body[k] = v.into();
        }
        self.post(path, &body)
    }

    pub fn status(&self, prover: &dyn Prover) -> Result<CertStatus, Error> {
        self.proved(
            "/api/v1/assistant/status",
            prover,
            |n| format!("certhall-status:{n}"),
            None,
        )
    }

    /// The single-use link that opens the 基本信息 form (图 2.8).
    pub fn handoff(&self, prover: &dyn Prover, business: &str) -> Result<String, Error> {
        let nonce = self.nonce()?;
        let signature = prover.sign(format!("certhall-handoff:{nonce}").as_bytes())?;
        let link: Link = self.post(
            "/api/v1/handoff",
            &json!({
                "certificate": b64(prover.certificate_der()),
                "nonce": nonce,
                "signature": b64(&signature),
                "business": business,
            }),
        )?;
        Ok(link.url)
    }

    /// The new certificate for `csr_der`, proved by the old key.
    pub fn issue(&self, old: &dyn Prover, csr_der: &[u8]) -> Result<Issued, Error> {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(csr_der));
        self.proved(
            "/api/v1/assistant/issue",
            old,
            |n| format!("certhall-issue:{n}:{hash}"),
            Some(("csr", b64(csr_der))),
        )
    }

    /// Reports the new certificate written, proved by the new key; returns
    /// the application's state (`COMPLETED`, or `APPROVED` for a key that is
    /// mailed next).
    pub fn complete(&self, new: &dyn Prover) -> Result<String, Error> {
        let v: serde_json::Value = self.proved(
            "/api/v1/assistant/complete",
            new,
            |n| format!("certhall-complete:{n}"),
            None,
        )?;
        Ok(v["state"].as_str().unwrap_or_default().to_string())
    }

    /// 签章变更: the approved seal of the proving certificate.
    pub fn seal(&self, prover: &dyn Prover) -> Result<Seal, Error> {
        self.proved(
            "/api/v1/assistant/seal",
            prover,
            |n| format!("certhall-seal:{n}"),
            None,
        )
    }

    /// 签章变更: the seal with this SHA-256 (hex) is in the token.
    pub fn seal_written(&self, prover: &dyn Prover, sha256: &str) -> Result<(), Error> {
        let _: serde_json::Value = self.proved(
            "/api/v1/assistant/seal/written",
            prover,
            |n| format!("certhall-seal-written:{n}:{sha256}"),
            Some(("sha256", sha256.to_string())),
        )?;
        Ok(())
    }

    /// 在线新办, 在线补办: the certificate for `csr_der` of the application the
    /// one-time 写入码 names.
    pub fn pickup(&self, code: &str, csr_der: &[u8]) -> Result<Issued, Error> {
        self.post(
            "/api/v1/assistant/pickup",
            &json!({ "code": code, "csr": b64(csr_der) }),
        )
    }

    /// 找回密码, step 1: the server texts a code to the key's reserved mobile;
    /// returns what the server says (the same for any key: it names no number).
    pub fn unlock_start(&self, token_serial: &str) -> Result<String, Error> {
        let v: serde_json::Value = self.post(
            "/api/v1/unlock/start",
            &json!({ "token_serial": token_serial }),
        )?;
        Ok(v["message"].as_str().unwrap_or_default().to_string())
    }

    /// Step 2: the code → the key's SO PIN, kept as a secret in memory only;
    /// or, where resets are reviewed, the server's word that it waits for a
    /// reviewer (`Err(message)` inside `Ok`).
    pub fn unlock_finish(
        &self,
        token_serial: &str,
        code: &str,
    ) -> Result<Result<secrecy::SecretString, String>, Error> {
        let v: serde_json::Value = self.post(
            "/api/v1/unlock/finish",
            &json!({ "token_serial": token_serial, "code": code }),
        )?;
        if v["pending"].as_bool() == Some(true) {
            return Ok(Err(v["message"].as_str().unwrap_or("等待审核").to_string()));
        }
        v["so_pin"]
            .as_str()
            .map(|p| Ok(secrecy::SecretString::from(p.to_string())))
            .ok_or_else(|| Error::Server("服务器未给出授权".into()))
    }

    /// An operator escrows a key's SO PIN (their password and code checked on
    /// the same request).
    pub fn escrow(
        &self,
        operator: &str,
        password: &secrecy::SecretString,
        code: &secrecy::SecretString,
        token_serial: &str,
        mobile: &str,
        so_pin: &secrecy::SecretString,
    ) -> Result<(), Error> {
        use secrecy::ExposeSecret;
        let _: serde_json::Value = self.post(
            "/api/v1/tokens/escrow",
            &json!({
                "name": operator,
                "password": password.expose_secret(),
                "code": code.expose_secret(),
                "token_serial": token_serial,
                "mobile": mobile,
                "so_pin": so_pin.expose_secret(),
            }),
        )?;
        Ok(())
    }
}
