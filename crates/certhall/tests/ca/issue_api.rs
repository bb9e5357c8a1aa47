//! The issuing API (`POST /api/v1/ca/issue`) on both databases: an operator's
//! key issues a certificate that OpenSSL verifies against our chain, a retry
//! with the same request id returns it again, and every refusal (no key, a
//! wrong one, a disabled account's, a reviewer's role, a bad body, CSR or
//! subject) says why and changes nothing.

use common::{TestApp, stderr, stdout};
use serde_json::{Value, json};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

async fn post(app: &TestApp, key: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = app
        .http
        .post(format!("{}/api/v1/ca/issue", app.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

async fn api_key(app: &TestApp, name: &str) -> String {
    let out = app
        .cli(&["staff", "api-key", name, "--label", "批量签发系统"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

async fn issuing_api(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    for (name, role) in [("li.operator", "operator"), ("wang.reviewer", "reviewer")] {
        let out = app.cli(&["staff", "add", name, "--role", role]).await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Only a role that may issue gets a key.
    let before = app.snapshot().await;
    let refused = app
        .cli(&["staff", "api-key", "wang.reviewer", "--label", "x"])
        .await;
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("签发接口"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(app.snapshot().await, before);
    let key = api_key(&app, "li.operator").await;
    assert!(key.starts_with("chk_"), "{key}");
    let stored: i64 = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM api_keys WHERE key_hash = '{}'",
            ra::random::hash(&key)
        ))
        .await;
    assert_eq!(stored, 1, "only the key's hash is kept");

    let (_, csr) = openssl::key_and_csr(app.dir.path(), "api", KeyKind::P256);
    let csr = std::fs::read_to_string(&csr).unwrap();
    let body = json!({
        "request_id": "order-1",
        "csr": csr,
        "profile": "enterprise",
        "common_name": "接口测试有限公司",
        "organization": "接口测试有限公司",
        "credit_code": "91110108551385082Q",
        "years": 2,
    })
    .to_string();
    let before = app.snapshot().await;
    let (status, issued) = post(&app, Some(&key), &body).await;
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["replayed"], false);
    let serial = issued["serial"].as_str().unwrap().to_string();
    let pem = app.path("api.pem");
    std::fs::write(&pem, issued["certificate"].as_str().unwrap()).unwrap();
    let chain = app.chain_file().await;
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);
    assert_eq!(openssl::serial_of(&pem), serial);
    assert!(
        openssl::subject_utf8(&pem).contains("O=接口测试有限公司"),
        "{}",
        openssl::subject_utf8(&pem)
    );
    assert_ne!(app.snapshot().await, before);
    let actor = app
        .text(&format!(
            "SELECT actor FROM audit_log WHERE action = 'certificate.issue' AND object = '{serial}'"
        ))
        .await;
    assert_eq!(actor, "api:li.operator");

    // The same request id again: the same certificate, nothing new.
    let before = app.snapshot().await;
    let (status, again) = post(&app, Some(&key), &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["serial"], serial.as_str());
    assert_eq!(again["replayed"], true);
    assert_eq!(app.snapshot().await, before);

    // A burst (issued together, ca/src/authority/batch.rs): every request id
    // gets its own certificate, a request id sent twice at once still one,
    // and the audit chain holds.
    let before: i64 = app.scalar("SELECT COUNT(*) FROM certificates").await;
    let burst = (0..30).map(|i| {
        let mut v: Value = serde_json::from_str(&body).unwrap();
        v["request_id"] = json!(format!("burst-{}", i % 25));
        let (app, key, v) = (&app, &key, v.to_string());
        async move { post(app, Some(key), &v).await }
    });
    let answers = futures_util::future::join_all(burst).await;
    let mut by_id = std::collections::HashMap::new();
    for (i, (status, answer)) in answers.iter().enumerate() {
        assert!(*status == 201 || *status == 200, "{answer}");
        let serial = answer["serial"].as_str().unwrap().to_string();
        if let Some(first) = by_id.insert(i % 25, serial.clone()) {
            assert_eq!(first, serial, "one request id, one certificate");
        }
    }
    let distinct: std::collections::HashSet<_> = by_id.values().collect();
    assert_eq!(distinct.len(), 25);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates").await,
        before + 25
    );
    let verify = app.cli(&["audit", "verify"]).await;
    assert!(verify.status.success(), "{}", stderr(&verify));

    // Refusals: each names what is wrong and changes nothing.
    let other_csr = {
        let (_, p) = openssl::key_and_csr(app.dir.path(), "other", KeyKind::P256);
        std::fs::read_to_string(p).unwrap()
    };
    // An RSA-2048 key with public exponent 3 (issue 16, finding 10).
    let e3_csr = {
        let dir = app.dir.path();
        let (k, c) = (dir.join("e3.key"), dir.join("e3.csr"));
        openssl::ok(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_keygen_pubexp:3",
            "-out",
            k.to_str().unwrap(),
        ]);
        openssl::ok(&[
            "req",
            "-new",
            "-key",
            k.to_str().unwrap(),
            "-subj",
            "/CN=x",
            "-out",
            c.to_str().unwrap(),
        ]);
        std::fs::read_to_string(c).unwrap()
    };
    let with = |field: &str, value: Value| {
        let mut v: Value = serde_json::from_str(&body).unwrap();
        v["request_id"] = json!("order-2");
        v[field] = value;
        v.to_string()
    };
    let cases: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        ("no key", None, with("years", json!(1)), 401, "API 密钥无效"),
        (
            "wrong key",
            Some("chk_notakey"),
            with("years", json!(1)),
            401,
            "API 密钥无效",
        ),
        (
            "not JSON",
            Some(&key),
            "{\"csr\": ".into(),
            400,
            "request body",
        ),
        (
            "unknown field",
            Some(&key),
            with("colour", json!("red")),
            400,
            "unknown field",
        ),
        (
            "garbage CSR",
            Some(&key),
            with(
                "csr",
                json!(
                    "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
                ),
            ),
            400,
            "CSR",
        ),
        (
            "RSA public exponent 3",
            Some(&key),
            with("csr", json!(e3_csr)),
            400,
            "the RSA public exponent must be odd and at least 65537",
        ),
        (
            "bad credit code",
            Some(&key),
            with("credit_code", json!("91110108551385082A")),
            400,
            "统一社会信用代码",
        ),
        (
            "unknown profile",
            Some(&key),
            with("profile", json!("server")),
            400,
            "profile",
        ),
        (
            "too long",
            Some(&key),
            with("years", json!(50)),
            400,
            "validity",
        ),
        (
            "years and days",
            Some(&key),
            with("days", json!(30)),
            400,
            "not both",
        ),
        (
            "request id reused for another key",
            Some(&key),
            {
                let mut v: Value = serde_json::from_str(&body).unwrap();
                v["csr"] = json!(other_csr);
                v.to_string()
            },
            400,
            "order-1",
        ),
    ];
    for (what, k, body, status, says) in cases {
        let before = app.snapshot().await;
        let (got, answer) = post(&app, k, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{what}: {message}");
        assert_eq!(app.snapshot().await, before, "{what} changed the CA");
    }

    // Disabling the account stops its key at once.
    let out = app.cli(&["staff", "disable", "li.operator"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let before = app.snapshot().await;
    let (status, answer) = post(&app, Some(&key), &with("years", json!(1))).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(app.snapshot().await, before);
}

on_both_databases!(issuing_api);
