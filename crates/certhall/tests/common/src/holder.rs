//! A certificate holder with a software key: issues the certificate through the
//! CLI and makes hand-off proofs with the key (until the assistant exists).

use std::path::{Path, PathBuf};

use base64::Engine;
use testkit::openssl::{self, KeyKind};

use crate::TestApp;

pub struct Holder {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub serial: String,
    pub kind: KeyKind,
}

pub const ORG: &str = "合肥旧名科技有限公司";
pub const CODE: &str = "91110108551385082Q";

pub async fn enterprise(app: &TestApp, name: &str, kind: KeyKind) -> Holder {
    let (key, csr) = openssl::key_and_csr(app.dir.path(), name, kind);
    let out = app
        .cli(&[
            "ca",
            "issue",
            "--csr",
            csr.to_str().unwrap(),
            "--profile",
            "enterprise",
            "--cn",
            "张三",
            "--org",
            ORG,
            "--credit-code",
            CODE,
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = app.path(&format!("{name}.pem"));
    std::fs::write(&cert, &out.stdout).unwrap();
    Holder {
        serial: openssl::serial_of(&cert),
        key,
        cert,
        kind,
    }
}

pub async fn individual(app: &TestApp, name: &str) -> Holder {
    let (key, csr) = openssl::key_and_csr(app.dir.path(), name, KeyKind::P256);
    let out = app
        .cli(&[
            "ca",
            "issue",
            "--csr",
            csr.to_str().unwrap(),
            "--profile",
            "individual",
            "--cn",
            "李四",
            "--id-number",
            "11010519491231002X",
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = app.path(&format!("{name}.pem"));
    std::fs::write(&cert, &out.stdout).unwrap();
    Holder {
        serial: openssl::serial_of(&cert),
        key,
        cert,
        kind: KeyKind::P256,
    }
}

/// Signs `message` with a key file the way the assistant signs inside the token.
pub fn sign(dir: &Path, key: &Path, kind: KeyKind, message: &str) -> String {
    let msg = dir.join("handoff.msg");
    let sig = dir.join("handoff.sig");
    std::fs::write(&msg, message).unwrap();
    let (k, m, s) = (
        key.to_str().unwrap(),
        msg.to_str().unwrap(),
        sig.to_str().unwrap(),
    );
    match kind {
        KeyKind::Sm2 => openssl::ok(&[
            "dgst",
            "-sm3",
            "-sign",
            k,
            "-sigopt",
            "distid:1234567812345678",
            "-out",
            s,
            m,
        ]),
        _ => openssl::ok(&["dgst", "-sha256", "-sign", k, "-out", s, m]),
    };
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig).unwrap())
}

/// A fresh challenge: (nonce, the text to sign).
pub async fn challenge(app: &TestApp) -> (String, String) {
    let v: serde_json::Value = app
        .http
        .post(format!("{}/api/v1/handoff/challenge", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        v["nonce"].as_str().unwrap().to_string(),
        v["sign"].as_str().unwrap().to_string(),
    )
}

/// Presents a proof; returns (HTTP status, JSON body).
pub async fn present(
    app: &TestApp,
    cert_pem: &str,
    nonce: &str,
    signature: &str,
) -> (u16, serde_json::Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/handoff", app.base))
        .json(
            &serde_json::json!({ "certificate": cert_pem, "nonce": nonce, "signature": signature }),
        )
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The whole proof for `holder`: returns the link's path (`/handoff/…`).
pub async fn handoff_link(app: &TestApp, holder: &Holder) -> String {
    handoff_link_for(app, holder, "change").await
}

/// The whole proof for `holder`, for `business`: the link's path.
pub async fn handoff_link_for(app: &TestApp, holder: &Holder, business: &str) -> String {
    let (nonce, text) = challenge(app).await;
    let sig = sign(app.dir.path(), &holder.key, holder.kind, &text);
    let r = app
        .http
        .post(format!("{}/api/v1/handoff", app.base))
        .json(&serde_json::json!({
            "certificate": std::fs::read_to_string(&holder.cert).unwrap(),
            "nonce": nonce,
            "signature": sig,
            "business": business,
        }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/handoff/", app.base)), "{url}");
    url[app.base.len()..].to_string()
}

/// Small files that are what they claim to be.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

pub fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap()
}

pub fn jpeg() -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    v.extend(std::iter::repeat_n(0u8, 64));
    v.extend([0xFF, 0xD9]);
    v
}

/// Posts a call of the assistant's API (`/api/v1/assistant/{what}`) proved
/// by the P-256 key of `cert`: the key signs `message(nonce)`; `fields` go
/// beside the proof. Returns (status, JSON).
pub async fn proved_call(
    app: &TestApp,
    what: &str,
    (cert, key): (&Path, &Path),
    message: impl Fn(&str) -> String,
    fields: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (nonce, _) = challenge(app).await;
    let mut body = fields;
    body["certificate"] = std::fs::read_to_string(cert).unwrap().into();
    body["signature"] = sign(app.dir.path(), key, KeyKind::P256, &message(&nonce)).into();
    body["nonce"] = nonce.into();
    let r = app
        .http
        .post(format!("{}/api/v1/assistant/{what}", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}
