//! The certificate assistant's API (`/api/v1/…`): 办事大厅's list of businesses,
//! and the proved calls of the change flow — status, issue, complete. Each proved
//! call carries the certificate (PEM or base64 DER), a nonce from
//! `POST /api/v1/handoff/challenge` and a base64 signature, made with the key in
//! the token, over:
//!
//! | call | message |
//! |---|---|
//! | `POST /api/v1/assistant/status` | `certhall-status:<nonce>` |
//! | `POST /api/v1/assistant/issue` | `certhall-issue:<nonce>:<hex SHA-256 of the CSR's DER>` |
//! | `POST /api/v1/assistant/complete` | `certhall-complete:<nonce>` (with the new key) |
//! | `POST /api/v1/assistant/seal` | `certhall-seal:<nonce>` |
//! | `POST /api/v1/assistant/seal/written` | `certhall-seal-written:<nonce>:<hex SHA-256 of the seal>` |
//! | `POST /api/v1/assistant/seal/current` | `certhall-seal-current:<nonce>` (with a key just written) |
//! | `POST /api/v1/assistant/revoke/code` | `certhall-revoke-code:<nonce>` |
//! | `POST /api/v1/assistant/revoke` | `certhall-revoke:<nonce>:<reason>` (with `reason`, `note`, `code`) |
//! | `POST /api/v1/assistant/earlier-keys` | `certhall-earlier-keys:<nonce>` (with the reissued key) |
//! | `POST /api/v1/assistant/earlier-keys/restore` | `certhall-earlier-key:<nonce>:<serial>:<hex SHA-256 of public_key's DER>` (with `serial`, `public_key`) |
//!
//! `GET /api/v1/assistant/enveloped-key` is the one proved read: the proof
//! travels in headers (`Certhall-Certificate`: the signing certificate, PEM
//! on one line is not possible, so base64 DER; `Certhall-Nonce`;
//! `Certhall-Signature`: base64) over `certhall-enveloped-key:<nonce>`, and
//! the answer is the DER GB/T 35276 SM2EnvelopedKey of the certificate's
//! encryption key pair (`ra::enveloped_key`). Its challenge is not used up.
//!
//! `POST /api/v1/assistant/pickup` is the one call without a proof: 在线新办 and
//! 在线补办 write into a key with no certificate of ours, so it carries the
//! one-time 写入码 (`code`) and the CSR made in the key (`csr`).

use axum::Json;
use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use ca::asn1time;
use ca::authority::pem;
use domain::{Business, ProfileKind};

use crate::AppState;
use crate::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/businesses", get(businesses))
        .route("/api/v1/assistant/status", post(status))
        .route("/api/v1/assistant/enveloped-key", get(enveloped_key))
        .route("/api/v1/assistant/issue", post(issue))
        .route("/api/v1/assistant/complete", post(complete))
        .route("/api/v1/assistant/pickup", post(pickup))
        .route("/api/v1/assistant/earlier-keys", post(earlier_keys))
        .route("/api/v1/assistant/earlier-keys/restore", post(earlier_key))
        .route("/api/v1/assistant/seal", post(seal))
        .route("/api/v1/assistant/seal/written", post(seal_written))
        .route("/api/v1/assistant/seal/current", post(seal_current))
        .route("/api/v1/assistant/revoke/code", post(revoke_code))
        .route("/api/v1/assistant/revoke", post(revoke))
        .route("/api/v1/unlock/start", post(unlock_start))
        .route("/api/v1/unlock/finish", post(unlock_finish))
        .route("/api/v1/tokens/escrow", post(escrow))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}

/// 办事大厅: the businesses the platform offers, in the 自助服务 order.
async fn businesses(State(s): State<AppState>) -> Result<Json<Vec<::api::Business>>, WebError> {
    let mut out = Vec::new();
    for b in Business::ALL {
        let mut prices = serde_json::Map::new();
        for t in [ProfileKind::Enterprise, ProfileKind::Individual] {
            let p = s.ra.price(b, t).await?;
            prices.insert(t.name().into(), p.to_string().into());
        }
        out.push(::api::Business {
            key: b.key().into(),
            name: b.name_zh().into(),
            prices,
        });
    }
    Ok(Json(out))
}

struct Proof {
    certificate: Vec<u8>,
    nonce: String,
    signature: Vec<u8>,
    csr: Option<Vec<u8>>,
    sha256: Option<String>,
}

fn bad(m: &'static str) -> WebError {
    crate::api::invalid(m)
}

/// PEM as given (the RA reads it), or the DER of base64.
fn pem_or_der(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return Some(t.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD.decode(t).ok()
}

/// The proof's fields, or what is wrong with the request.
fn parse(body: &[u8]) -> Result<Proof, &'static str> {
    let req: ::api::Proof = serde_json::from_slice(body)
        .map_err(|_| "请求格式不正确：需要 JSON 字段 certificate、nonce、signature")?;
    let certificate = pem_or_der(&req.certificate).ok_or("证书格式不正确")?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(req.signature.trim())
        .map_err(|_| "签名不是有效的 base64")?;
    let csr = match req.csr.as_deref() {
        Some(c) => Some(pem_or_der(c).ok_or("证书请求格式不正确")?),
        None => None,
    };
    Ok(Proof {
        certificate,
        nonce: req.nonce,
        signature,
        csr,
        sha256: req.sha256,
    })
}

async fn status(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<::api::CertStatus>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let st =
        s.ra.assistant_status(&p.certificate, &p.nonce, &p.signature)
            .await?;
    Ok(Json(cert_status(&st, &headers)))
}

/// 在线补办: the earlier encryption certificates the new key may have back.
async fn earlier_keys(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::EarlierKeys>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let keys =
        s.ra.earlier_keys(&p.certificate, &p.nonce, &p.signature)
            .await?;
    Ok(Json(::api::EarlierKeys {
        keys: keys
            .iter()
            .map(|k| ::api::EarlierKey {
                serial: k.serial.to_hex(),
                certificate_pem: pem("CERTIFICATE", &k.cert_der),
            })
            .collect(),
    }))
}

/// 在线补办: one earlier key, enveloped by the KMC to the key made for it.
async fn earlier_key(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::EncryptionPair>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let req: ::api::EarlierKeyRequest = serde_json::from_slice(&body)
        .map_err(|_| bad("请求格式不正确：需要 JSON 字段 serial、public_key"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let public = b64
        .decode(req.public_key.trim())
        .map_err(|_| bad("public_key 不是 base64 编码的 DER 公钥"))?;
    let key =
        s.ra.restore_earlier_key(&p.certificate, &p.nonce, &p.signature, &req.serial, &public)
            .await?;
    Ok(Json(::api::EncryptionPair {
        serial: key.serial.to_hex(),
        certificate_pem: pem("CERTIFICATE", &key.cert_der),
        envelope: b64.encode(&key.skf_blob),
    }))
}

/// The holder's encryption key, enveloped to its signing key, by a proof in
/// headers (a read: nothing changes).
async fn enveloped_key(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(certificate), Some(nonce), Some(signature)) = (
        field("certhall-certificate"),
        field("certhall-nonce"),
        field("certhall-signature"),
    ) else {
        return Err(bad(
            "请求缺少证明：需要请求头 Certhall-Certificate、Certhall-Nonce、Certhall-Signature",
        ));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let certificate = b64
        .decode(certificate)
        .map_err(|_| bad("Certhall-Certificate 不是 base64 编码的 DER 证书"))?;
    let signature = b64
        .decode(signature)
        .map_err(|_| bad("签名不是有效的 base64"))?;
    let key = s.ra.enveloped_key(&certificate, nonce, &signature).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}.sm2-enveloped-key.der\"",
                    key.serial
                ),
            ),
        ],
        key.der,
    )
        .into_response())
}

/// The certificate and its applications, as the assistant reads them; why
/// 在线延期 is not open, in the client's language.
fn cert_status(st: &ra::assistant::CertStatus, headers: &HeaderMap) -> ::api::CertStatus {
    ::api::CertStatus {
        serial: domain::Serial::parse(&st.row.serial)
            .map(|s| s.to_string())
            .unwrap_or_else(|_| st.row.serial.clone()),
        status: st.status.into(),
        common_name: st.row.common_name.clone(),
        organization: st.row.organization.clone(),
        not_before: asn1time::rfc3339(st.row.not_before),
        not_after: asn1time::rfc3339(st.row.not_after),
        applications: st
            .applications
            .iter()
            .map(|a| ::api::AppStatus {
                id: a.id.clone(),
                business: a.business.key().into(),
                business_name: a.business.name_zh().into(),
                state: a.state.key().into(),
                state_label: a.state.label_zh().into(),
                updated_at: asn1time::rfc3339(a.updated_at),
                from_serial: a
                    .from_serial
                    .as_deref()
                    .and_then(|s| domain::Serial::parse(s).ok())
                    .map(|s| s.to_string()),
                issued_here: a.issued_here,
            })
            .collect(),
        renewal: Some(::api::Renewal {
            available: st.renewal.is_ok(),
            reason: st
                .renewal
                .as_ref()
                .err()
                .map(|m| crate::api::client_tr(headers).msg(m)),
        }),
    }
}

/// The certificate made for an application, as the assistant reads it; under
/// an SM2 CA with its encryption pair, the key as a USB key imports it.
fn issued(n: ra::issuance::NewCertificate) -> Result<Json<::api::Issued>, WebError> {
    use base64::Engine;
    let encryption = match n.encryption {
        Some(e) => Some(::api::EncryptionPair {
            serial: e.serial.to_string(),
            certificate_pem: pem("CERTIFICATE", &e.cert_der),
            envelope: base64::engine::general_purpose::STANDARD
                .encode(e.key_envelope()?.to_skf_blob()),
        }),
        None => None,
    };
    Ok(Json(::api::Issued {
        application_id: n.application_id,
        serial: n.serial.to_string(),
        certificate_pem: pem("CERTIFICATE", &n.der),
        encryption,
    }))
}

async fn issue(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Issued>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let csr = p.csr.ok_or_else(|| bad("缺少证书请求 (csr)"))?;
    let n =
        s.ra.assistant_issue(&p.certificate, &p.nonce, &p.signature, &csr)
            .await?;
    issued(n)
}

async fn complete(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Completed>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let (id, state) =
        s.ra.assistant_complete(&p.certificate, &p.nonce, &p.signature)
            .await?;
    Ok(Json(::api::Completed {
        application_id: id,
        state: state.key().into(),
        state_label: state.label_zh().into(),
    }))
}

/// 找回密码, step 1: a code to the key's reserved mobile.
async fn unlock_start(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Json<::api::UnlockStarted>, WebError> {
    let req = serde_json::from_slice::<::api::UnlockRequest>(&body)
        .map_err(|_| bad("请求格式不正确：需要 JSON 字段 token_serial"))?;
    s.ra.unlock_start(&req.token_serial, &peer.ip().to_string())
        .await?;
    // The same answer for any key: which keys the CA holds, and their
    // numbers, are not for whoever asks.
    Ok(Json(::api::UnlockStarted {
        message: UNLOCK_SENT.into(),
    }))
}

/// What `unlock/start` answers.
const UNLOCK_SENT: &str = "如该证书介质已在本 CA 登记，验证码已发送至登记的手机号";

/// Step 2: the code → the SO PIN, for the assistant alone to use.
async fn unlock_finish(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    use secrecy::ExposeSecret;
    let req = serde_json::from_slice::<::api::UnlockRequest>(&body)
        .map_err(|_| bad("请求格式不正确：需要 JSON 字段 token_serial、code"))?;
    let unlocked =
        s.ra.unlock_finish(&req.token_serial, &req.code, &peer.ip().to_string())
            .await?;
    Ok(match unlocked {
        ra::business::unlock::Unlocked::SoPin(so_pin) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(::api::UnlockFinished {
                so_pin: Some(so_pin.expose_secret().to_string()),
                pending: false,
                message: None,
            }),
        )
            .into_response(),
        ra::business::unlock::Unlocked::Pending => Json(::api::UnlockFinished {
            so_pin: None,
            pending: true,
            message: Some(
                "找回密码申请已提交，请等待工作人员审核；审核通过后会短信通知您，届时再次运行“找回密码”即可"
                    .into(),
            ),
        })
        .into_response(),
    })
}

/// An operator's assistant escrows the SO PIN of a key it just initialised.
async fn escrow(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Escrowed>, WebError> {
    let req =
        serde_json::from_slice::<::api::EscrowRequest>(&body).map_err(|_| bad("请求格式不正确"))?;
    let so_pin = secrecy::SecretString::from(req.so_pin);
    s.ra.escrow_by_staff(
        &req.name,
        &req.password,
        &req.code,
        &peer.ip().to_string(),
        &req.token_serial,
        &req.mobile,
        &so_pin,
    )
    .await?;
    Ok(Json(::api::Escrowed {
        escrowed: req.token_serial,
    }))
}

/// 在线新办, 在线补办: the certificate of the application the 写入码 names.
async fn pickup(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Issued>, WebError> {
    let req = serde_json::from_slice::<::api::PickupRequest>(&body)
        .map_err(|_| bad("请求格式不正确：需要 JSON 字段 code、csr"))?;
    let csr = pem_or_der(&req.csr).ok_or_else(|| bad("证书请求格式不正确"))?;
    issued(s.ra.pickup_issue(&req.code, &csr).await?)
}

/// 签章变更: the approved seal image of the proving certificate.
async fn seal(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Seal>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let seal =
        s.ra.assistant_seal(&p.certificate, &p.nonce, &p.signature)
            .await?;
    Ok(Json(::api::Seal {
        application_id: seal.application_id,
        sha256: seal.sha256,
        png: base64::engine::general_purpose::STANDARD.encode(&seal.png),
    }))
}

/// 在线补办: the seal the proving certificate carries over (`seal: null`
/// when it has none).
async fn seal_current(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::CurrentSeal>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let seal =
        s.ra.assistant_current_seal(&p.certificate, &p.nonce, &p.signature)
            .await?;
    Ok(Json(::api::CurrentSeal {
        seal: seal.map(|seal| ::api::Seal {
            application_id: seal.application_id,
            sha256: seal.sha256,
            png: base64::engine::general_purpose::STANDARD.encode(&seal.png),
        }),
    }))
}

/// 签章变更: the seal is in the token: 已完成.
async fn seal_written(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Completed>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let sha256 = p.sha256.ok_or_else(|| bad("缺少印章摘要 (sha256)"))?;
    let id =
        s.ra.assistant_seal_written(&p.certificate, &p.nonce, &p.signature, &sha256)
            .await?;
    Ok(Json(::api::Completed {
        application_id: id,
        state: domain::AppState::Completed.key().into(),
        state_label: domain::AppState::Completed.label_zh().into(),
    }))
}

/// 注销 in the window, step 1: the code to the certificate's account.
async fn revoke_code(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Json<::api::RevokeCodeSent>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let sent =
        s.ra.assistant_revoke_code(
            &p.certificate,
            &p.nonce,
            &p.signature,
            &peer.ip().to_string(),
        )
        .await?;
    Ok(Json(::api::RevokeCodeSent {
        application_id: sent.application_id,
        mobile: sent.mobile_masked,
    }))
}

/// 注销 in the window, step 2: the reason and the code; 已完成 when the
/// product revokes at once, else 待审核.
async fn revoke(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Json<::api::Completed>, WebError> {
    let p = parse(&body).map_err(bad)?;
    let req = serde_json::from_slice::<::api::RevokeRequest>(&body)
        .map_err(|_| bad("请求格式不正确：需要 JSON 字段 reason、code"))?;
    let fields = ra::business::revoke::RevokeFields {
        reason: req.reason,
        note: req.note,
        code: req.code,
    };
    let (id, state) =
        s.ra.assistant_revoke_confirm(
            &p.certificate,
            &p.nonce,
            &p.signature,
            &fields,
            &peer.ip().to_string(),
        )
        .await?;
    Ok(Json(::api::Completed {
        application_id: id,
        state: state.key().into(),
        state_label: state.label_zh().into(),
    }))
}
