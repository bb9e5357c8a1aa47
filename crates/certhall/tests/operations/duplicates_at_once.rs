//! One request id issued twice at the same moment, 150 times over, through two
//! instances on one database (issue 17, finding 2): no request fails (the
//! PostgreSQL deadlock between the batch and the one-at-a-time path is gone,
//! and a deadlock or serialization failure is retried), each id has exactly
//! one certificate, and both answers for an id are the same certificate.

use common::{TestApp, stderr, stdout};
use serde_json::{Value, json};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const PAIRS: usize = 150;
/// The sweep saw 6–7 failures in 1,200 requests: eight rounds of 300.
const ROUNDS: usize = 8;

async fn pairs_through_two_instances(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let other = certhall::server::start(&app.settings)
        .await
        .expect("a second instance");
    let out = app
        .cli(&["staff", "add", "li.operator", "--role", "operator"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = app
        .cli(&["staff", "api-key", "li.operator", "--label", "批量签发系统"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_string();
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "burst", KeyKind::P256);
    let csr = std::fs::read_to_string(&csr).unwrap();
    let before = app.scalar("SELECT COUNT(*) FROM certificates").await;

    let http = reqwest::Client::new();
    let mut serial_of = std::collections::HashMap::new();
    for round in 0..ROUNDS {
        let requests = (0..PAIRS).map(|i| round * PAIRS + i).flat_map(|i| {
            [app.base.clone(), other.public_url.clone()].map(|base| {
                let (http, key, csr) = (http.clone(), key.clone(), csr.clone());
                async move {
                    let body = json!({
                        "request_id": format!("pair-{i}"),
                        "csr": csr,
                        "profile": "enterprise",
                        "common_name": "接口测试有限公司",
                        "organization": "接口测试有限公司",
                        "credit_code": "91110108551385082Q",
                        "years": 1,
                    });
                    let r = http
                        .post(format!("{base}/api/v1/ca/issue"))
                        .header("authorization", format!("Bearer {key}"))
                        .json(&body)
                        .send()
                        .await
                        .expect("request");
                    let status = r.status().as_u16();
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    (i, status, v)
                }
            })
        });
        let answers = futures_util::future::join_all(requests).await;
        for (i, status, v) in &answers {
            assert!(*status == 200 || *status == 201, "pair-{i}: {status} {v}");
            let serial = v["serial"].as_str().unwrap().to_string();
            let cert = v["certificate"].as_str().unwrap().to_string();
            if let Some(first) = serial_of.insert(*i, (serial.clone(), cert.clone())) {
                assert_eq!(first, (serial, cert), "pair-{i}: two answers differ");
            }
        }
    }
    assert_eq!(serial_of.len(), PAIRS * ROUNDS);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates").await,
        before + (PAIRS * ROUNDS) as i64,
        "one certificate per request id"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates WHERE cert_der IS NULL")
            .await,
        0,
        "nothing left pending"
    );
    let verify = app.cli(&["audit", "verify"]).await;
    assert!(verify.status.success(), "{}", stderr(&verify));
    other.stop().await;
    app.server.stop().await;
}

on_both_databases!(pairs_through_two_instances);
