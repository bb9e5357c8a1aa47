//! 注销 from the assistant's window (`/api/v1/assistant/revoke/code`, then
//! `/api/v1/assistant/revoke`), with software keys: the key proves the
//! certificate, the code goes to the account the certificate belongs to, the
//! signed reason and the code confirm it; a reviewer approves and OCSP says
//! revoked. A certificate no account holds, a confirmation before any code, a
//! reason the holder may not give, a reason other than the one signed, a wrong
//! code: each refused with its message, nothing changed.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::flow::to_materials;
use common::holder;
use domain::{Clock, FixedClock};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

async fn send_code(app: &TestApp, holder: (&Path, &Path)) -> (u16, serde_json::Value) {
    holder::proved_call(
        app,
        "revoke/code",
        holder,
        |n| format!("certhall-revoke-code:{n}"),
        serde_json::json!({}),
    )
    .await
}

/// Confirms with `reason` signed and `form` sent.
async fn confirm(
    app: &TestApp,
    holder: (&Path, &Path),
    signed: &str,
    form: serde_json::Value,
) -> (u16, serde_json::Value) {
    holder::proved_call(
        app,
        "revoke",
        holder,
        |n| format!("certhall-revoke:{n}:{signed}"),
        form,
    )
    .await
}

/// What a refused 注销 must leave as it was: the business tables and the
/// audit log.
async fn state(app: &TestApp) -> String {
    let audit = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    format!("{}audit_log = {audit}\n", app.business_snapshot().await)
}

fn error(body: &serde_json::Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

async fn revoke_in_the_window(backend: Backend) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let minute_later = || clock.advance(Duration::from_secs(61));

    // Issued at the counter, no account: the window sends the holder to the
    // browser, nothing is opened or sent.
    let counter = holder::enterprise(&app, "counter", KeyKind::P256).await;
    let before = state(&app).await;
    let (st, body) = send_code(&app, (&counter.cert, &counter.key)).await;
    assert_eq!(st, 409, "{body}");
    assert!(error(&body).contains("未关联网上服务账户"), "{body}");
    assert_eq!(state(&app).await, before);

    // A certificate its account has started a business from.
    let _ = to_materials(&app, MOBILE).await;
    let (cert, key) = (
        app.path(&format!("h{MOBILE}.pem")),
        app.dir.path().join(format!("h{MOBILE}.key")),
    );
    let me = (cert.as_path(), key.as_path());
    let serial = openssl::serial_of(&cert);
    minute_later();

    // Confirmed before any code was asked for.
    let before = state(&app).await;
    let form = |reason: &str, code: &str| serde_json::json!({ "reason": reason, "note": "U 盾遗失", "code": code });
    let (st, body) = confirm(&app, me, "keyCompromise", form("keyCompromise", "123456")).await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(error(&body), "请先获取短信验证码");
    assert_eq!(state(&app).await, before);

    // The code, to the account's own mobile.
    let (st, body) = send_code(&app, me).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["mobile"], "138****5678");
    let code = testkit::outbox::sms_code(&app.settings.data_dir, MOBILE);
    let log = std::fs::read_to_string(app.settings.data_dir.join("outbox/sms.log")).unwrap();
    assert!(
        log.lines()
            .last()
            .unwrap()
            .contains("注销后证书立即失效且不可恢复"),
        "{log}"
    );

    // A reason a holder may not give; a reason other than the one signed; a
    // wrong code: refused, nothing changed.
    let before = state(&app).await;
    let (st, body) = confirm(&app, me, "superseded", form("superseded", &code)).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(error(&body), "请选择注销原因");
    let (st, body) = confirm(
        &app,
        me,
        "cessationOfOperation",
        form("keyCompromise", &code),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    assert!(error(&body).contains("签名验证失败"), "{body}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (st, body) = confirm(&app, me, "keyCompromise", form("keyCompromise", wrong)).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(error(&body), "验证码不正确，还可尝试 4 次");
    assert_eq!(state(&app).await, before);
    let (chain, issuing) = (app.chain_file().await, app.issuing_file().await);
    let url = format!("{}/pki/ocsp", app.base);
    let ocsp = |serial: &str| openssl::ocsp_by_serial(&issuing, &chain, &url, serial);
    assert!(ocsp(&serial).contains(": good"));

    // The right code: 待审核, then revoked once a reviewer approves.
    let (st, body) = confirm(&app, me, "keyCompromise", form("keyCompromise", &code)).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["state_label"], "待审核");
    let id = body["application_id"].as_str().unwrap().to_string();
    assert!(ocsp(&serial).contains(": good"), "not before the review");
    // Asked again while it waits: said so, nothing sent or changed.
    let before = state(&app).await;
    let (st, body) = send_code(&app, me).await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(
        error(&body),
        "注销申请已提交，等待审核；审核通过后证书即失效"
    );
    assert_eq!(state(&app).await, before);
    let reviewer = common::staff::staff_at(&app, "wang.reviewer", "reviewer", clock.now_ms()).await;
    common::staff::approve_by(&app, &reviewer, &id).await;
    let answer = ocsp(&serial);
    assert!(
        answer.contains(": revoked") && answer.contains("keyCompromise"),
        "{answer}"
    );

    // Revoked: the key proves nothing more.
    minute_later();
    let before = state(&app).await;
    let (st, body) = send_code(&app, me).await;
    assert_eq!(st, 403, "{body}");
    assert!(error(&body).contains("已被吊销"), "{body}");
    assert_eq!(state(&app).await, before);
    app.server.stop().await;
}

on_both_databases!(revoke_in_the_window);
