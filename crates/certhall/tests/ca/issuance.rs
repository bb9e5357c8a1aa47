//! Issuance is idempotent per request id, and a crash between recording and
//! signing is finished by the retry: never a second certificate.

use std::sync::Arc;

use ca::authority::IssueRequest;
use common::{TestApp, stderr};
use domain::{ProfileKind, SubjectInfo};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

async fn count(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM certificates")
        .fetch_one(app.server.authority.db().pool())
        .await
        .unwrap();
    n
}

fn subject() -> SubjectInfo {
    SubjectInfo::parse(
        ProfileKind::Enterprise,
        Some("张三"),
        Some("某公司"),
        Some("91110108551385082Q"),
        None,
    )
    .unwrap()
}

async fn same_request_id_same_certificate(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "k", KeyKind::P256);
    let args = [
        "ca",
        "issue",
        "--csr",
        csr.to_str().unwrap(),
        "--profile",
        "enterprise",
        "--cn",
        "张三",
        "--credit-code",
        "91110108551385082Q",
        "--request-id",
        "order-42",
    ];
    let first = app.cli(&args).await;
    let second = app.cli(&args).await;
    assert!(
        first.status.success() && second.status.success(),
        "{}",
        stderr(&second)
    );
    assert_eq!(
        first.stdout, second.stdout,
        "a retry returns the same certificate"
    );
    assert!(stderr(&second).contains("returned existing certificate"));
    assert_eq!(count(&app).await, 1);

    // The same id with another key is refused, not silently answered.
    let (_, other) = openssl::key_and_csr(app.dir.path(), "other", KeyKind::P256);
    let mut args2 = args;
    args2[3] = other.to_str().unwrap();
    let out = app.cli(&args2).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("request id `order-42` was already used for a different key"));
    assert_eq!(count(&app).await, 1);

    // Concurrent retries of one request: one certificate.
    let csr_bytes = std::fs::read(&csr).unwrap();
    let authority = app.server.authority.clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let a = Arc::clone(&authority);
        let req = IssueRequest {
            request_id: "order-43".into(),
            csr: csr_bytes.clone(),
            subject: subject(),
            years: 1,
            not_after_ms: None,
            actor: "test".into(),
            keep_encryption_of: None,
        };
        tasks.push(tokio::spawn(async move { a.issue(req).await }));
    }
    let mut serials = Vec::new();
    for t in tasks {
        serials.push(
            t.await
                .unwrap()
                .expect("every retry gets the certificate")
                .serial,
        );
    }
    serials.dedup();
    assert_eq!(serials.len(), 1, "one serial for one request id");
    assert_eq!(count(&app).await, 2);
    app.server.stop().await;
}

async fn crash_after_recording_is_resumed(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "k", KeyKind::P256);
    let req = IssueRequest {
        request_id: "resume-1".into(),
        csr: std::fs::read(&csr).unwrap(),
        subject: subject(),
        years: 1,
        not_after_ms: None,
        actor: "test".into(),
        keep_encryption_of: None,
    };
    let first = app.server.authority.issue(req.clone()).await.unwrap();
    // Put the row back into the state a crash after "record" leaves behind.
    sqlx::query("UPDATE certificates SET cert_der = NULL, state = 'PENDING', issued_at = NULL WHERE serial = $1")
        .bind(first.serial.to_hex())
        .execute(app.server.authority.db().pool())
        .await
        .unwrap();
    let again = app.server.authority.issue(req).await.unwrap();
    assert_eq!(
        again.serial, first.serial,
        "the recorded serial is the one issued"
    );
    assert!(again.replayed);
    assert_eq!(count(&app).await, 1);
    let pem = app.path("resumed.pem");
    std::fs::write(&pem, ca::authority::pem("CERTIFICATE", &again.cert_der)).unwrap();
    let chain = app.chain_file().await;
    let v = openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);
    assert!(v.contains(": OK"), "{v}");
    app.server.stop().await;
}

on_both_databases!(
    same_request_id_same_certificate,
    crash_after_recording_is_resumed
);
