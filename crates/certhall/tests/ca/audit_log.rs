//! The audit log is tamper-evident: `certhall audit verify` finds the first
//! changed, removed or truncated entry.

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
    let app = TestApp::new().backend(backend).spawn().await;
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
    let app = TestApp::new().backend(backend).spawn().await;
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

/// The SHA-256 of an entry, computed as anyone who can read the code and
/// write the database could.
fn chain_hash(
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    object: &str,
    details: &str,
    prev: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for field in [
        seq.to_string().as_bytes(),
        at.to_string().as_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        object.as_bytes(),
        details.as_bytes(),
        prev.as_bytes(),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    hex::encode(h.finalize())
}

type Row = (i64, i64, String, String, String, String, String);

async fn rows(app: &TestApp) -> Vec<Row> {
    sqlx::query_as(
        "SELECT seq, at, actor, action, object, details, prev_hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(app.server.authority.db().pool())
    .await
    .unwrap()
}

/// Rewrites every entry from `from` on with a correct SHA-256 chain, and the
/// head: what a writer with database access alone can do.
async fn rehash_from(app: &TestApp, from: i64) {
    let all = rows(app).await;
    let mut prev = if from == 1 {
        store::audit::GENESIS_HASH.to_string()
    } else {
        app.text(&format!(
            "SELECT hash FROM audit_log WHERE seq = {}",
            from - 1
        ))
        .await
    };
    for (seq, at, actor, action, object, details, _) in all.into_iter().filter(|r| r.0 >= from) {
        let hash = chain_hash(seq, at, &actor, &action, &object, &details, &prev);
        exec(
            app,
            &format!(
                "UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq}"
            ),
        )
        .await;
        prev = hash;
    }
    exec(
        app,
        &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1"),
    )
    .await;
}

/// A forged entry appended with a correct hash and head, and a changed entry
/// with every later hash recomputed, both pass a plain SHA-256 chain; the
/// audit key's MACs catch them (issue 16, finding 6).
async fn forged_chains_are_found(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    app.issue("a", KeyKind::P256, ORG).await;
    app.issue("b", KeyKind::P256, ORG).await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("every entry carries a MAC under the audit key"),
        "{}",
        stdout(&out)
    );
    let clean = rows(&app).await;
    let n = clean.len() as i64;

    // 1. A forged approval appended at the end, chain and head consistent.
    let head = app.text("SELECT hash FROM audit_head").await;
    let details = r#"{"reason":"forged"}"#;
    let hash = chain_hash(
        n + 1,
        1,
        "staff:wang",
        "application.approved",
        "x",
        details,
        &head,
    );
    exec(
        &app,
        &format!(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash) \
             VALUES ({}, 1, 'staff:wang', 'application.approved', 'x', '{details}', '{head}', '{hash}')",
            n + 1
        ),
    )
    .await;
    exec(
        &app,
        &format!(
            "UPDATE audit_head SET seq = {}, hash = '{hash}' WHERE id = 1",
            n + 1
        ),
    )
    .await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "broken at entry {}: entry {} is not authenticated by the audit key",
            n + 1,
            n + 1
        )),
        "{}",
        stderr(&out)
    );
    // …and copying another entry's MAC onto it does not help.
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE seq = {n}) WHERE seq = {}",
            n + 1
        ),
    )
    .await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(
        stderr(&out).contains("is not authenticated"),
        "{}",
        stderr(&out)
    );
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", n + 1),
    )
    .await;
    rehash_from(&app, n).await;
    exec(
        &app,
        &format!("UPDATE audit_head SET seq = {n} WHERE id = 1"),
    )
    .await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    // 2. An entry changed and every later hash recomputed.
    exec(
        &app,
        "UPDATE audit_log SET details = REPLACE(details, '张三', '李四') WHERE seq = 3",
    )
    .await;
    rehash_from(&app, 3).await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("broken at entry 3: entry 3 is not authenticated by the audit key"),
        "{}",
        stderr(&out)
    );

    // 3. Removing the keyed checkpoint (to pass everything off as written
    // before keyed audit) is found as well.
    exec(&app, "DELETE FROM audit_checkpoints").await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(
        stderr(&out).contains("the keyed checkpoint is missing"),
        "{}",
        stderr(&out)
    );
    app.server.stop().await;
}

/// An installation upgraded from before keyed audit: its entries keep their
/// plain chain up to the checkpoint made when the key is, later ones carry a
/// MAC, and re-hashing the old part is found because the chain no longer
/// ends in the checkpoint's hash.
async fn an_upgraded_log_is_checkpointed(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    app.issue("a", KeyKind::P256, ORG).await;
    // As the database of a version before keyed audit looked.
    for sql in [
        "DELETE FROM server_secrets",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_log SET mac = NULL",
    ] {
        exec(&app, sql).await;
    }
    let before = rows(&app).await.len() as i64;
    // The upgraded version starts (a command is enough): the key is made and
    // the checkpoint recorded at the head…
    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "entries 1–{before} were written before keyed audit"
        )),
        "{}",
        stdout(&out)
    );
    // …and what comes later carries a MAC.
    app.issue("b", KeyKind::P256, ORG).await;
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE seq > {before} AND mac IS NOT NULL"
        ))
        .await
            > 0
    );
    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // Changing the old part and re-hashing the whole chain is found.
    exec(
        &app,
        "UPDATE audit_log SET details = REPLACE(details, '张三', '李四') WHERE seq = 3",
    )
    .await;
    rehash_from(&app, 3).await;
    let out = app.cli(&["audit", "verify"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("were changed and re-hashed"),
        "{}",
        stderr(&out)
    );
    app.server.stop().await;
}

on_both_databases!(
    tampering_is_found,
    truncation_is_found,
    forged_chains_are_found,
    an_upgraded_log_is_checkpointed
);
