//! The audit log is tamper-evident: `certhall audit verify` finds the first
//! changed, removed or truncated entry.

mod common;

use ca::KeyAlgorithm;
use common::{TestApp, stderr, stdout};
use testkit::openssl::KeyKind;
use testkit::{Backend, on_both_databases};

const ORG: &[&str] = &[
    "--profile",
    "enterprise",
    "--cn",
    "张三",
    "--org",
    "某公司",
    "--credit-code",
    "91110108551385082Q",
];

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(app.server.authority.db().pool())
        .await
        .unwrap();
}

async fn tampering_is_found(backend: Backend) {
    let app = TestApp::spawn(backend, KeyAlgorithm::P256).await;
    // ca.init (1), crl.publish (2), certificate.issue (3, 4), revoke (5), crl (6)
    let a = app.issue("a", KeyKind::P256, ORG).await;
    app.issue("b", KeyKind::P256, ORG).await;
    let serial = testkit::openssl::serial_of(&a);
    let out = app
        .cli(&["ca", "revoke", &serial, "--reason", "keyCompromise"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));

    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("audit log intact: 6 entries"),
        "{}",
        stdout(&out)
    );

    // The entries say who did what.
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, actor, action FROM audit_log ORDER BY seq")
            .fetch_all(app.server.authority.db().pool())
            .await
            .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(
        actions,
        [
            "ca.init",
            "crl.publish",
            "certificate.issue",
            "certificate.issue",
            "certificate.revoke",
            "crl.publish"
        ]
    );
    assert!(rows[2].1.starts_with("cli:"), "{:?}", rows[2]);

    // Change an entry's contents.
    exec(
        &app,
        "UPDATE audit_log SET details = '{\"reason\":\"unspecified\"}' WHERE seq = 5",
    )
    .await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the audit log is broken at entry 5: entry 5 was altered"),
        "{}",
        stderr(&out)
    );

    // Delete one in the middle (after restoring nothing: the first break wins).
    exec(&app, "DELETE FROM audit_log WHERE seq = 3").await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(
        stderr(&out).contains("broken at entry 3: entry 3 is missing"),
        "{}",
        stderr(&out)
    );
    app.server.stop().await;
}

async fn truncation_is_found(backend: Backend) {
    let app = TestApp::spawn(backend, KeyAlgorithm::P256).await;
    app.issue("a", KeyKind::P256, ORG).await;
    exec(
        &app,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
    )
    .await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the newest entries were removed"),
        "{}",
        stderr(&out)
    );

    // Relinking a forged entry without recomputing the chain is caught too.
    exec(&app, "UPDATE audit_log SET prev_hash = hash WHERE seq = 2").await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(
        stderr(&out).contains("entry 2 does not link to entry 1"),
        "{}",
        stderr(&out)
    );
    app.server.stop().await;
}

on_both_databases!(tampering_is_found, truncation_is_found);
