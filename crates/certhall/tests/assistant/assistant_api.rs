//! The assistant's API with software keys (the token-backed assistant is tested
//! in its own crate): 办事大厅, status, issuance of the changed certificate with
//! a proof by the old key, completion with a proof by the new key; retries give
//! the same certificate; forged or misplaced proofs change nothing.

use std::path::{Path, PathBuf};

use common::TestApp;
use common::flow::to_materials;
use common::holder::{self, sign};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

/// Posts a proved call; returns (status, JSON).
async fn call(
    app: &TestApp,
    what: &str,
    cert: &Path,
    key: &Path,
    message: impl Fn(&str) -> String,
    csr: Option<&str>,
) -> (u16, serde_json::Value) {
    let fields = match csr {
        Some(c) => serde_json::json!({ "csr": c }),
        None => serde_json::json!({}),
    };
    holder::proved_call(app, what, (cert, key), message, fields).await
}

fn csr_hash(csr_pem: &Path) -> String {
    let out = csr_pem.with_extension("der");
    openssl::ok(&[
        "req",
        "-in",
        csr_pem.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        out.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&out).unwrap();
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The CA's tables and every application's state and version.
async fn state(app: &TestApp) -> String {
    let apps: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, state, version FROM applications ORDER BY id")
            .fetch_all(app.server.authority.db().pool())
            .await
            .unwrap();
    format!("{}{apps:?}", app.snapshot().await)
}

fn write(app: &TestApp, name: &str, text: &str) -> PathBuf {
    let p = app.path(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A free change approved by a reviewer: (browser, application id, old cert, old key).
async fn approved(
    app: &TestApp,
    mobile: &str,
) -> (common::browser::Browser, String, PathBuf, PathBuf) {
    let (b, app_id, page) = to_materials(app, mobile).await;
    b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    common::staff::approve(app, "wang.reviewer", &app_id).await;
    let name = format!("h{mobile}");
    (
        b,
        app_id,
        app.path(&format!("{name}.pem")),
        app.dir.path().join(format!("{name}.key")),
    )
}

async fn change_flow(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    // 办事大厅 lists every business with its prices.
    let hall: serde_json::Value = app.get("/api/v1/businesses").await.json().await.unwrap();
    let names: Vec<&str> = hall
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    for n in [
        "在线新办",
        "在线延期",
        "在线补办",
        "签章变更",
        "找回密码",
        "证书变更",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }

    let (b, app_id, old_cert, old_key) = approved(&app, "13812345678").await;
    let old_serial = openssl::serial_of(&old_cert);
    let (st, status) = call(
        &app,
        "status",
        &old_cert,
        &old_key,
        |n| format!("certhall-status:{n}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{status}");
    assert_eq!(status["status"], "valid");
    assert_eq!(status["applications"][0]["id"], app_id.as_str());
    assert_eq!(status["applications"][0]["state_label"], "审核通过");

    // The new key pair and its CSR (in the token, for the real assistant).
    let (new_key, new_csr) = openssl::key_and_csr(app.dir.path(), "new", KeyKind::P256);
    let csr_pem = std::fs::read_to_string(&new_csr).unwrap();
    let hash = csr_hash(&new_csr);
    let issue_msg = |n: &str| format!("certhall-issue:{n}:{hash}");
    let (st, issued) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        issue_msg,
        Some(&csr_pem),
    )
    .await;
    assert_eq!(st, 200, "{issued}");
    let new_cert = write(&app, "new.pem", issued["certificate_pem"].as_str().unwrap());
    // The approved subject, the old end date, the new key; OpenSSL agrees.
    let subject = openssl::ok(&[
        "x509",
        "-in",
        new_cert.to_str().unwrap(),
        "-noout",
        "-subject",
        "-nameopt",
        "utf8",
    ]);
    assert!(subject.contains("合肥新名科技有限公司"), "{subject}");
    let end = |c: &Path| openssl::ok(&["x509", "-in", c.to_str().unwrap(), "-noout", "-enddate"]);
    assert_eq!(end(&new_cert), end(&old_cert));
    let modulus = |args: &[&str]| openssl::ok(args);
    assert_eq!(
        modulus(&[
            "x509",
            "-in",
            new_cert.to_str().unwrap(),
            "-noout",
            "-pubkey"
        ]),
        modulus(&["pkey", "-in", new_key.to_str().unwrap(), "-pubout"])
    );
    let chain = app.chain_file().await;
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        new_cert.to_str().unwrap(),
    ]);
    // The old certificate is revoked as superseded.
    let old: serde_json::Value = app
        .get(&format!("/api/v1/certificates/{old_serial}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old["status"], "revoked");
    assert_eq!(old["revocation_reason"], "superseded");
    // The revocation publishes a CRL shortly after: let it land before the
    // snapshots below.
    let published = common::eventually(std::time::Duration::from_secs(5), || async {
        app.scalar("SELECT COUNT(*) FROM crls").await == 2
    })
    .await;
    assert!(published.is_some(), "no CRL after the revocation");

    // A retry (the assistant crashed before writing) gets the same certificate.
    let (st, again) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        issue_msg,
        Some(&csr_pem),
    )
    .await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["serial"], issued["serial"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM certificates").await, 2);
    // A retry with another key is refused: one certificate per application.
    let before = state(&app).await;
    let (_, other_csr) = openssl::key_and_csr(app.dir.path(), "other", KeyKind::P256);
    let other_pem = std::fs::read_to_string(&other_csr).unwrap();
    let other_hash = csr_hash(&other_csr);
    let (st, body) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        |n| format!("certhall-issue:{n}:{other_hash}"),
        Some(&other_pem),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("另一把密钥"),
        "{body}"
    );
    assert_eq!(state(&app).await, before);
    // Completion is proved with the old key: refused (it is revoked).
    let (st, body) = call(
        &app,
        "complete",
        &old_cert,
        &old_key,
        |n| format!("certhall-complete:{n}"),
        None,
    )
    .await;
    assert_eq!(st, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("已被吊销"),
        "{body}"
    );

    let (st, body) = call(
        &app,
        "complete",
        &new_cert,
        &new_key,
        |n| format!("certhall-complete:{n}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["state_label"], "已完成");
    let me = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(me.status(), "已完成");
    // Twice is fine and changes nothing.
    let before = state(&app).await;
    let (st, _) = call(
        &app,
        "complete",
        &new_cert,
        &new_key,
        |n| format!("certhall-complete:{n}"),
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(state(&app).await, before);
    app.server.stop().await;
}

/// Forged and misplaced proofs: refused with a message, nothing changes.
async fn bad_proofs(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let (_, _, old_cert, old_key) = approved(&app, "13812345678").await;
    let stranger = holder::enterprise(&app, "stranger", KeyKind::P256).await;
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "new", KeyKind::P256);
    let csr_pem = std::fs::read_to_string(&csr).unwrap();
    let hash = csr_hash(&csr);
    let before = state(&app).await;

    // Signed by another key.
    let (st, body) = call(
        &app,
        "status",
        &old_cert,
        &stranger.key,
        |n| format!("certhall-status:{n}"),
        None,
    )
    .await;
    assert_eq!(st, 403);
    assert!(
        body["error"].as_str().unwrap().contains("签名验证失败"),
        "{body}"
    );
    // The signature covers another CSR than the one sent.
    let (st, body) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        |n| format!("certhall-issue:{n}:{}", "0".repeat(64)),
        Some(&csr_pem),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    // A handoff signature is not an issue signature.
    let (st, _) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        |n| format!("certhall-handoff:{n}"),
        Some(&csr_pem),
    )
    .await;
    assert_eq!(st, 403);
    // A certificate with nothing approved.
    let (st, body) = call(
        &app,
        "issue",
        &stranger.cert,
        &stranger.key,
        |n| format!("certhall-issue:{n}:{hash}"),
        Some(&csr_pem),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("没有已审核通过"),
        "{body}"
    );
    // Garbage CSR.
    let garbage = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    let (st, body) = call(
        &app,
        "issue",
        &old_cert,
        &old_key,
        |n| format!("certhall-issue:{n}:{hash}"),
        Some(garbage),
    )
    .await;
    assert!(st == 400 || st == 403, "{st} {body}");
    assert_eq!(state(&app).await, before);
    // A nonce used twice.
    let (nonce, _) = holder::challenge(&app).await;
    let sig = sign(
        app.dir.path(),
        &old_key,
        KeyKind::P256,
        &format!("certhall-status:{nonce}"),
    );
    let body = serde_json::json!({ "certificate": std::fs::read_to_string(&old_cert).unwrap(), "nonce": nonce, "signature": sig });
    let url = format!("{}/api/v1/assistant/status", app.base);
    assert_eq!(
        app.http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = app.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("挑战码"), "{e}");
    // Not JSON.
    let r = app
        .http
        .post(&url)
        .body("certificate=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(state(&app).await, before);
    app.server.stop().await;
}

/// The status tells the assistant whether 在线延期 is offered now: not on day
/// 91 before the certificate's end (with the day it opens), yes from day 90.
/// (Every edge of the window, after expiry too, is in `domain::renewal`.)
async fn renewal_window_in_status(backend: Backend) {
    let clock = std::sync::Arc::new(domain::FixedClock::at(std::time::SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let h = holder::enterprise(&app, "h1", KeyKind::P256).await;
    let not_after = app
        .scalar(&format!(
            "SELECT not_after FROM certificates WHERE organization = '{}'",
            holder::ORG
        ))
        .await;
    let day: i64 = 86_400_000;
    let now = |c: &domain::FixedClock| {
        use domain::Clock;
        c.now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let status = || {
        call(
            &app,
            "status",
            &h.cert,
            &h.key,
            |n| format!("certhall-status:{n}"),
            None,
        )
    };
    // Day 91 before the end.
    clock.advance(std::time::Duration::from_millis(
        (not_after - 91 * day - now(&clock)) as u64,
    ));
    let (code, early) = status().await;
    assert_eq!(code, 200, "{early}");
    assert_eq!(early["renewal"]["available"], false, "{early}");
    let why = early["renewal"]["reason"].as_str().unwrap();
    assert!(
        why.contains("在线延期自到期前 90 天")
            && why.contains(&ca::asn1time::beijing_minutes(not_after - 90 * day)),
        "{why}"
    );
    // Day 90 before the end: offered.
    clock.advance(std::time::Duration::from_millis(day as u64));
    let (code, open) = status().await;
    assert_eq!(code, 200, "{open}");
    assert_eq!(open["renewal"]["available"], true, "{open}");
    assert!(open["renewal"]["reason"].is_null(), "{open}");
    app.server.stop().await;
}

on_both_databases!(change_flow, bad_proofs, renewal_window_in_status);
