//! 司法恢复 (GM/T 0034 §12.5) in the back office, on both databases: a
//! 密钥恢复审批员 files the recovery of an escrowed encryption key with its
//! legal basis and her SM2 public key; two other 密钥恢复审批员 approve it
//! (she cannot approve her own, nobody approves twice, nothing is released
//! before the second approval, and only she receives it); the KMC envelopes
//! the key to her public key, and her private key opens it to the private
//! key of the encryption certificate. Every step is in the CA's audit chain,
//! the release in the KMC's with its legal basis and approvers; every
//! refusal says why and changes nothing.

use ca::authority::IssueRequest;
use common::TestApp;
use domain::{ProfileKind, Role, SubjectInfo};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const BASIS: &str = "合肥市公安局协助查询通知书（合公协查〔2026〕118 号），涉案电子标书解密";

/// Rows of the recovery tables and the CA's audit head.
async fn snapshot(app: &TestApp) -> String {
    let mut out = String::new();
    for sql in [
        "SELECT COUNT(*) FROM key_recoveries",
        "SELECT COUNT(*) FROM key_recoveries WHERE state = 'APPROVED'",
        "SELECT COUNT(*) FROM key_recoveries WHERE state = 'RELEASED'",
        "SELECT COUNT(*) FROM key_recovery_approvals",
        "SELECT COUNT(*) FROM audit_log",
    ] {
        out.push_str(&format!("{sql} = {}\n", app.scalar(sql).await));
    }
    out
}

async fn judicial_recovery_with_four_eyes(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .algorithm(ca::KeyAlgorithm::Sm2)
        .with_staff("zhao.officer", Role::KeyRecovery)
        .with_staff("qian.approver", Role::KeyRecovery)
        .with_staff("sun.approver", Role::KeyRecovery)
        .spawn()
        .await;
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "holder", KeyKind::Sm2);
    let issued = app
        .server
        .authority
        .issue(IssueRequest {
            request_id: "recovery-holder".into(),
            csr: std::fs::read(&csr).unwrap(),
            subject: SubjectInfo::parse(
                ProfileKind::Enterprise,
                Some("张三"),
                Some("某公司"),
                Some("91110108551385082Q"),
                None,
            )
            .unwrap(),
            years: 1,
            not_after_ms: None,
            actor: "test".into(),
            keep_encryption_of: None,
        })
        .await
        .unwrap();
    let encryption = issued.encryption.unwrap();
    let enc_serial = encryption.serial.to_string();
    let (officer_key, _) = openssl::key_and_csr(app.dir.path(), "officer", KeyKind::Sm2);
    let officer_pub = openssl::ok(&["pkey", "-in", officer_key.to_str().unwrap(), "-pubout"]);

    let officer = &app.staff("zhao.officer").browser;
    let (qian, sun) = (
        &app.staff("qian.approver").browser,
        &app.staff("sun.approver").browser,
    );
    let page = officer.get("/admin/recovery").await;
    assert!(page.has("加密密钥司法恢复"), "{}", page.visible());

    // Refused filings: the signing certificate's serial, no legal basis, a
    // P-256 key for the officer.
    let before = snapshot(&app).await;
    let (p256, _) = openssl::key_and_csr(app.dir.path(), "p256", KeyKind::P256);
    let p256_pub = openssl::ok(&["pkey", "-in", p256.to_str().unwrap(), "-pubout"]);
    let signing = issued.serial.to_string();
    for (serial, basis, key, message) in [
        (
            signing.as_str(),
            BASIS,
            officer_pub.as_str(),
            format!("序列号 {signing} 不是本 CA 签发的加密证书（双证书）"),
        ),
        (
            enc_serial.as_str(),
            "依法",
            officer_pub.as_str(),
            "请写明法律依据（如协助查询通知书的文号、出具机关与事由），10 至 1000 字".to_string(),
        ),
        (
            enc_serial.as_str(),
            BASIS,
            p256_pub.as_str(),
            "恢复员公钥应为 PEM 格式的 SM2 公钥（PUBLIC KEY）或证书".to_string(),
        ),
    ] {
        let r = officer
            .post(
                &page,
                "/admin/recovery",
                &[
                    ("serial", serial),
                    ("legal_basis", basis),
                    ("officer_key", key),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.visible());
        assert_eq!(r.error(), message);
        assert_eq!(snapshot(&app).await, before);
    }

    let filed = officer
        .post(
            &page,
            "/admin/recovery",
            &[
                ("serial", &enc_serial),
                ("legal_basis", BASIS),
                ("officer_key", &officer_pub),
            ],
        )
        .await;
    assert_eq!(filed.notice(), "已提交，待两名其他密钥恢复审批员批准");
    let id = app
        .scalar("SELECT COUNT(*) FROM key_recoveries")
        .await
        .to_string();
    assert_eq!(id, "1");
    let (id,): (String,) = sqlx::query_as("SELECT id FROM key_recoveries")
        .fetch_one(app.server.authority.db().pool())
        .await
        .unwrap();

    // Four eyes.
    let refused = |page: common::browser::Page, status: u16, message: &str| {
        assert_eq!(page.status, status, "{}", page.visible());
        assert_eq!(page.error(), message);
    };
    let before = snapshot(&app).await;
    refused(
        officer
            .post(&filed, &format!("/admin/recovery/{id}/approve"), &[])
            .await,
        403,
        "不能批准自己提交的密钥恢复申请：须由另外两名密钥恢复审批员批准",
    );
    refused(
        officer
            .post(&filed, &format!("/admin/recovery/{id}/release"), &[])
            .await,
        409,
        "该申请尚未获得两名密钥恢复审批员的批准",
    );
    assert_eq!(snapshot(&app).await, before);
    let qian_page = qian.get("/admin/recovery").await;
    let once = qian
        .post(&qian_page, &format!("/admin/recovery/{id}/approve"), &[])
        .await;
    assert_eq!(once.notice(), "已批准");
    let before = snapshot(&app).await;
    refused(
        qian.post(&once, &format!("/admin/recovery/{id}/approve"), &[])
            .await,
        403,
        "您已批准过该申请：第二次批准须由另一名密钥恢复审批员作出",
    );
    refused(
        officer
            .post(&filed, &format!("/admin/recovery/{id}/release"), &[])
            .await,
        409,
        "该申请尚未获得两名密钥恢复审批员的批准",
    );
    assert_eq!(snapshot(&app).await, before);
    let sun_page = sun.get("/admin/recovery").await;
    let twice = sun
        .post(&sun_page, &format!("/admin/recovery/{id}/approve"), &[])
        .await;
    assert_eq!(twice.notice(), "已批准");
    assert!(snapshot(&app).await.contains("state = 'APPROVED' = 1"));

    // Only the officer who filed it receives the key.
    let before = snapshot(&app).await;
    refused(
        qian.post(&once, &format!("/admin/recovery/{id}/release"), &[])
            .await,
        403,
        "只有提交该申请的恢复员可以取得恢复的密钥",
    );
    assert_eq!(snapshot(&app).await, before);
    let released = officer
        .post(&filed, &format!("/admin/recovery/{id}/release"), &[])
        .await;
    assert_eq!(released.notice(), "密钥已按恢复员公钥封装，可下载");
    let (status, der) = officer.download(&format!("/admin/recovery/{id}/key")).await;
    assert_eq!(status, 200);
    let envelope = pki::envelope::KeyEnvelope::from_sm2_enveloped_key(&der).unwrap();
    let private = envelope
        .open(&openssl::sm2_private_scalar(&officer_key))
        .unwrap();
    assert_eq!(
        pki::envelope::sm2_public_point(&private)
            .unwrap()
            .as_slice(),
        encryption.public_key.as_slice(),
        "the officer's key opens it to the encryption certificate's private key"
    );
    let (status, _) = sun.download(&format!("/admin/recovery/{id}/key")).await;
    assert_eq!(status, 403, "only the officer downloads it");

    // Both audit chains.
    let actions: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM audit_log WHERE action LIKE 'key_recovery.%' ORDER BY seq",
    )
    .fetch_all(app.server.authority.db().pool())
    .await
    .unwrap();
    let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "key_recovery.requested",
            "key_recovery.approved",
            "key_recovery.approved",
            "key_recovery.released"
        ]
    );
    let kmc = app.server.kmc.as_ref().unwrap().kmc.clone();
    let (details,): (String,) =
        sqlx::query_as("SELECT details FROM audit_log WHERE action = 'kmc.key.recovery.judicial'")
            .fetch_one(kmc.db().pool())
            .await
            .unwrap();
    for part in [BASIS, "zhao.officer", "qian.approver", "sun.approver"] {
        assert!(details.contains(part), "{details}");
    }
    let mut conn = kmc.db().conn().await.unwrap();
    assert!(matches!(
        store::audit::verify(&mut conn, kmc.db().audit_key().unwrap())
            .await
            .unwrap(),
        store::audit::Verdict::Intact { .. }
    ));
    // (The server's stop closes the KMC's pool, which waits for this.)
    drop(conn);
    app.server.stop().await;
}

on_both_databases!(judicial_recovery_with_four_eyes);
