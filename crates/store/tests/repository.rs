//! The repository layer on both databases: compare-and-set state changes have
//! exactly one winner under concurrency, the audit chain holds under concurrent
//! appends, and both migration sets stay in step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::collections::BTreeSet;

use store::certificates::{self, NewCertificate};
use store::{Db, audit, counters};
use testkit::{Backend, TestDb, on_both_databases};

async fn open(backend: Backend) -> (TestDb, Db) {
    let t = TestDb::new(backend).await;
    let db = Db::connect(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    // Migrating twice is a no-op.
    db.migrate().await.unwrap();
    // What certhall's set-up does on first start: an audit key, and the
    // checkpoint where keyed entries begin.
    db.set_audit_key(audit::AuditKey::new([7; 32]));
    let mut tx = db.begin().await.unwrap();
    audit::checkpoint(&mut tx, db.audit_key().unwrap(), 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (t, db)
}

async fn seed_issuer(db: &Db) {
    let mut c = db.pool().acquire().await.unwrap();
    store::ca_keys::insert(
        &mut c,
        &store::ca_keys::CaKeyRow {
            id: "issuer".into(),
            role: "issuing".into(),
            algorithm: "p256".into(),
            subject: "CN=t".into(),
            serial: "01".into(),
            cert_der: vec![1, 2, 3],
            key_kind: "software".into(),
            key_blob: Some(vec![]),
            key_ref: None,
            issuer_id: None,
            not_before: 0,
            not_after: i64::MAX,
            created_at: 0,
        },
    )
    .await
    .unwrap();
}

fn cert(serial: &str, request: &str) -> NewCertificate {
    NewCertificate {
        serial: serial.into(),
        request_id: request.into(),
        issuer_id: "issuer".into(),
        profile: "enterprise".into(),
        common_name: "张三".into(),
        organization: Some("某公司".into()),
        credit_code: Some("91110108551385082Q".into()),
        id_number_masked: None,
        key_algorithm: "p256".into(),
        spki_sha256: "00".into(),
        not_before: 0,
        not_after: i64::MAX,
        tbs_der: vec![0x30, 0x00],
        created_at: 0,
    }
}

/// Eight tasks race to revoke the same certificate, twenty times: one wins each
/// round, the rest see nothing to revoke, and nobody errors.
async fn revocation_has_one_winner(backend: Backend) {
    let (_t, db) = open(backend).await;
    seed_issuer(&db).await;
    for round in 0..20 {
        let serial = format!("{round:02X}AB");
        {
            let mut c = db.pool().acquire().await.unwrap();
            certificates::insert_pending(&mut c, &cert(&serial, &format!("r{round}")))
                .await
                .unwrap();
            certificates::mark_issued(&mut c, &serial, &[1], 1)
                .await
                .unwrap()
                .unwrap();
        }
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let db = db.clone();
            let serial = serial.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let seq = counters::next(&mut tx, counters::REVOCATION_SEQ)
                    .await
                    .unwrap();
                let won = certificates::revoke(&mut tx, &serial, 5, 1, seq)
                    .await
                    .unwrap();
                if won.is_some() {
                    audit::append(
                        &mut tx,
                        db.audit_key().unwrap(),
                        5,
                        &audit::Event {
                            actor: "t",
                            action: "certificate.revoke",
                            object: &serial,
                            details: serde_json::json!({}),
                        },
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                    true
                } else {
                    tx.rollback().await.unwrap();
                    false
                }
            }));
        }
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap());
        }
        assert_eq!(winners, 1, "round {round}");
    }
    let mut c = db.pool().acquire().await.unwrap();
    assert!(matches!(
        audit::verify(&mut c, db.audit_key().unwrap())
            .await
            .unwrap(),
        audit::Verdict::Intact { entries: 20, .. }
    ));
    // Revocation sequence numbers are unique and the watcher's query sees all.
    let since = certificates::revoked_since(&mut c, 0).await.unwrap();
    assert_eq!(since.len(), 20);
}

/// Concurrent appends keep one unbroken chain.
async fn audit_chain_holds_under_concurrency(backend: Backend) {
    let (_t, db) = open(backend).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            audit::append(
                &mut tx,
                db.audit_key().unwrap(),
                i,
                &audit::Event {
                    actor: "t",
                    action: "test",
                    object: &i.to_string(),
                    details: serde_json::json!({ "i": i }),
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut c = db.pool().acquire().await.unwrap();
    match audit::verify(&mut c, db.audit_key().unwrap())
        .await
        .unwrap()
    {
        audit::Verdict::Intact { entries, .. } => assert_eq!(entries, 16),
        broken => panic!("{broken:?}"),
    }
}

/// A duplicate request id or serial is refused by the database itself.
async fn uniqueness_is_enforced(backend: Backend) {
    let (_t, db) = open(backend).await;
    seed_issuer(&db).await;
    let mut c = db.pool().acquire().await.unwrap();
    certificates::insert_pending(&mut c, &cert("AA", "req"))
        .await
        .unwrap();
    assert!(matches!(
        certificates::insert_pending(&mut c, &cert("BB", "req")).await,
        Err(store::StoreError::Duplicate(_))
    ));
    assert!(matches!(
        certificates::insert_pending(&mut c, &cert("AA", "other")).await,
        Err(store::StoreError::Duplicate(_))
    ));
}

on_both_databases!(
    revocation_has_one_winner,
    audit_chain_holds_under_concurrency,
    uniqueness_is_enforced
);

#[test]
fn both_migration_sets_list_the_same_versions() {
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names("migrations/sqlite"), names("migrations/postgres"));
    // The KMC's own database.
    assert_eq!(
        names("migrations-kmc/sqlite"),
        names("migrations-kmc/postgres")
    );
}
