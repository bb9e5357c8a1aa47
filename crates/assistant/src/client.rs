//! The server's API as the assistant uses it: 办事大厅, the hand-off, and the
//! proved calls of the change flow. Each proved call takes a fresh challenge and
//! a signature made inside the token over a message naming its purpose.

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::error::Error;

/// The proof of possession: the token signs `message` (made from the nonce).
pub trait Prover {
    fn certificate_der(&self) -> &[u8];
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

pub struct Client {
    base: String,
    http: reqwest::blocking::Client,
}

pub use api::{AppStatus, Business, CertStatus, Issued, Renewal, Seal};

/// A certificate's status on the platform, as the holder reads it.
pub fn status_label(st: &CertStatus) -> &'static str {
    match st.status.as_str() {
        "valid" => "有效",
        "revoked" => "已吊销",
        _ => "已过期",
    }
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
        let message = serde_json::from_str::<api::ApiError>(&text)
            .ok()
            .map(|e| e.error)
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
        body: &impl serde::Serialize,
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
            .post::<api::Challenge>("/api/v1/handoff/challenge", &json!({}))?
            .nonce)
    }

    /// 办事大厅: the businesses the server offers.
    pub fn businesses(&self) -> Result<Vec<Business>, Error> {
        self.get("/api/v1/businesses")
    }

    /// A signed call: `message(nonce)` is what the token signs; `body` makes
    /// the request from the proof (the proof alone, or with the call's own
    /// fields).
    fn proved<T: for<'de> Deserialize<'de>, B: serde::Serialize>(
        &self,
        path: &str,
        prover: &dyn Prover,
        message: impl Fn(&str) -> String,
        body: impl FnOnce(api::Proof) -> B,
    ) -> Result<T, Error> {
        let nonce = self.nonce()?;
        let signature = prover.sign(message(&nonce).as_bytes())?;
        let proof = api::Proof {
            certificate: b64(prover.certificate_der()),
            nonce,
            signature: b64(&signature),
            csr: None,
            sha256: None,
        };
        self.post(path, &body(proof))
    }

    pub fn status(&self, prover: &dyn Prover) -> Result<CertStatus, Error> {
        self.proved(
            "/api/v1/assistant/status",
            prover,
            |n| format!("certhall-status:{n}"),
            |p| p,
        )
    }

    /// The single-use link that opens the 基本信息 form (图 2.8).
    pub fn handoff(&self, prover: &dyn Prover, business: &str) -> Result<String, Error> {
        let nonce = self.nonce()?;
        let signature = prover.sign(format!("certhall-handoff:{nonce}").as_bytes())?;
        let link: api::Link = self.post(
            "/api/v1/handoff",
            &api::HandoffRequest {
                certificate: b64(prover.certificate_der()),
                nonce,
                signature: b64(&signature),
                business: Some(business.to_string()),
            },
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
            |p| api::Proof {
                csr: Some(b64(csr_der)),
                ..p
            },
        )
    }

    /// Reports the new certificate written, proved by the new key; returns
    /// the application's state (`COMPLETED`, or `APPROVED` for a key that is
    /// mailed next).
    pub fn complete(&self, new: &dyn Prover) -> Result<String, Error> {
        let done: api::Completed = self.proved(
            "/api/v1/assistant/complete",
            new,
            |n| format!("certhall-complete:{n}"),
            |p| p,
        )?;
        Ok(done.state)
    }

    /// 签章变更: the approved seal of the proving certificate.
    pub fn seal(&self, prover: &dyn Prover) -> Result<Seal, Error> {
        self.proved(
            "/api/v1/assistant/seal",
            prover,
            |n| format!("certhall-seal:{n}"),
            |p| p,
        )
    }

    /// 在线补办: the seal the proving certificate (just written) carries
    /// over from the one it replaced, if any.
    pub fn current_seal(&self, prover: &dyn Prover) -> Result<Option<Seal>, Error> {
        let current: api::CurrentSeal = self.proved(
            "/api/v1/assistant/seal/current",
            prover,
            |n| format!("certhall-seal-current:{n}"),
            |p| p,
        )?;
        Ok(current.seal)
    }

    /// 在线补办: the earlier encryption certificates the proving (new)
    /// certificate may have back; none unless the holder asked for them.
    pub fn earlier_keys(&self, prover: &dyn Prover) -> Result<Vec<api::EarlierKey>, Error> {
        let keys: api::EarlierKeys = self.proved(
            "/api/v1/assistant/earlier-keys",
            prover,
            |n| format!("certhall-earlier-keys:{n}"),
            |p| p,
        )?;
        Ok(keys.keys)
    }

    /// 在线补办: the earlier key of `serial`, enveloped to the SM2 key whose
    /// DER SubjectPublicKeyInfo is `public_key` (made for it in the token).
    pub fn restore_earlier_key(
        &self,
        prover: &dyn Prover,
        serial: &str,
        public_key: &[u8],
    ) -> Result<api::EncryptionPair, Error> {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(public_key));
        let owned = serial.to_string();
        self.proved(
            "/api/v1/assistant/earlier-keys/restore",
            prover,
            move |n| format!("certhall-earlier-key:{n}:{owned}:{digest}"),
            |proof| api::EarlierKeyRequest {
                proof,
                serial: serial.to_string(),
                public_key: b64(public_key),
            },
        )
    }

    /// 签章变更: the seal with this SHA-256 (hex) is in the token.
    pub fn seal_written(&self, prover: &dyn Prover, sha256: &str) -> Result<(), Error> {
        let _: api::Completed = self.proved(
            "/api/v1/assistant/seal/written",
            prover,
            |n| format!("certhall-seal-written:{n}:{sha256}"),
            |p| api::Proof {
                sha256: Some(sha256.to_string()),
                ..p
            },
        )?;
        Ok(())
    }

    /// 注销, step 1: proved by the key, the code texted to the mobile of the
    /// certificate's account; returns that mobile, masked.
    pub fn revoke_code(&self, prover: &dyn Prover) -> Result<String, Error> {
        let sent: api::RevokeCodeSent = self.proved(
            "/api/v1/assistant/revoke/code",
            prover,
            |n| format!("certhall-revoke-code:{n}"),
            |p| p,
        )?;
        Ok(sent.mobile)
    }

    /// 注销, step 2: the reason (signed), a note and the code; returns where
    /// the application stands (`COMPLETED`: revoked; else waiting review).
    pub fn revoke(
        &self,
        prover: &dyn Prover,
        form: &api::RevokeRequest,
    ) -> Result<api::Completed, Error> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(flatten)]
            proof: api::Proof,
            #[serde(flatten)]
            form: &'a api::RevokeRequest,
        }
        let reason = form.reason.clone();
        self.proved(
            "/api/v1/assistant/revoke",
            prover,
            move |n| format!("certhall-revoke:{n}:{reason}"),
            |proof| Body { proof, form },
        )
    }

    /// 在线新办, 在线补办: the certificate for `csr_der` of the application the
    /// one-time 写入码 names.
    pub fn pickup(&self, code: &str, csr_der: &[u8]) -> Result<Issued, Error> {
        self.post(
            "/api/v1/assistant/pickup",
            &api::PickupRequest {
                code: code.to_string(),
                csr: b64(csr_der),
            },
        )
    }

    /// 找回密码, step 1: the server texts a code to the key's reserved mobile;
    /// returns what the server says (the same for any key: it names no number).
    pub fn unlock_start(&self, token_serial: &str) -> Result<String, Error> {
        let started: api::UnlockStarted = self.post(
            "/api/v1/unlock/start",
            &api::UnlockRequest {
                token_serial: token_serial.to_string(),
                code: String::new(),
            },
        )?;
        Ok(started.message)
    }

    /// Step 2: the code → the key's SO PIN, kept as a secret in memory only;
    /// or, where resets are reviewed, the server's word that it waits for a
    /// reviewer (`Err(message)` inside `Ok`).
    pub fn unlock_finish(
        &self,
        token_serial: &str,
        code: &str,
    ) -> Result<Result<secrecy::SecretString, String>, Error> {
        let finished: api::UnlockFinished = self.post(
            "/api/v1/unlock/finish",
            &api::UnlockRequest {
                token_serial: token_serial.to_string(),
                code: code.to_string(),
            },
        )?;
        if finished.pending {
            return Ok(Err(finished.message.unwrap_or_else(|| "等待审核".into())));
        }
        finished
            .so_pin
            .map(|p| Ok(secrecy::SecretString::from(p)))
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
        let _: api::Escrowed = self.post(
            "/api/v1/tokens/escrow",
            &api::EscrowRequest {
                name: operator.to_string(),
                password: password.expose_secret().to_string(),
                code: code.expose_secret().to_string(),
                token_serial: token_serial.to_string(),
                mobile: mobile.to_string(),
                so_pin: so_pin.expose_secret().to_string(),
            },
        )?;
        Ok(())
    }
}
