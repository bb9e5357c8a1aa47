//! 注销 by the holder: the reason, an SMS code to their own mobile, then the
//! certificate revoked after a reviewer's approval (or at once when the product
//! is set to automatic review). OpenSSL asks the OCSP responder, as a relying
//! party would. A missing reason, a wrong or missing code, and someone else's
//! certificate are refused with their message and change nothing.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::browser::{Browser, Page};
use common::holder::{self, Holder};
use domain::{Clock, FixedClock};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

/// What a refused 注销 must leave as it was: applications, their history, the
/// certificates and their revocations.
async fn state(app: &TestApp) -> String {
    let mut s = String::new();
    for sql in [
        "SELECT COUNT(*) FROM applications",
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM applications",
        "SELECT COUNT(*) FROM application_events",
        "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL",
        "SELECT COUNT(*) FROM audit_log",
    ] {
        s.push_str(&format!("{sql} = {}\n", app.scalar(sql).await));
    }
    s
}

/// The holder proves the key for 注销 and signs in: the form.
async fn revoke_form(app: &TestApp, h: &Holder) -> (Browser, String, Page) {
    let link = holder::handoff_link_for(app, h, "revoke").await;
    form_from(app, &link).await
}

/// Follows a hand-off link to the 注销 form, signing in.
async fn form_from(app: &TestApp, link: &str) -> (Browser, String, Page) {
    let b = Browser::new(&app.base);
    b.get(link).await;
    let form = b
        .sign_in(&app.settings.data_dir, MOBILE, "/handoff/continue")
        .await;
    assert_eq!(form.text("h1"), "证书注销");
    assert!(
        form.text("fieldset.terms legend").starts_with("注销原因"),
        "{}",
        form.visible()
    );
    assert!(
        form.text("#cert-hint").contains("不可恢复"),
        "{}",
        form.text("#cert-hint")
    );
    let id = form.path().split('/').nth(2).unwrap().to_string();
    (b, id, form)
}

/// 获取验证码 then 确认注销 with `reason`; returns the page it ends on.
async fn confirm(app: &TestApp, b: &Browser, id: &str, form: &Page, reason: &str) -> Page {
    let sent = b
        .post(
            form,
            &format!("/apply/{id}/revoke-code"),
            &[("reason", reason), ("note", "U 盾遗失")],
        )
        .await;
    assert_eq!(
        sent.text("#code-sent"),
        "验证码已发送至 138****5678，5 分钟内有效。"
    );
    assert!(
        sent.shows(&format!("#reason-{reason}[checked]")),
        "the choice is kept: {}",
        sent.html
    );
    let code = testkit::outbox::sms_code(&app.settings.data_dir, MOBILE);
    b.post(
        &sent,
        &format!("/apply/{id}/revoke"),
        &[("reason", reason), ("note", "U 盾遗失"), ("code", &code)],
    )
    .await
}

/// A server on a clock the test moves: a code goes to a number at most once a
/// minute, and the holder has just had one to sign in.
async fn spawn(backend: Backend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    (
        TestApp::new()
            .backend(backend)
            .clock(clock.clone())
            .spawn()
            .await,
        clock,
    )
}

/// A minute after signing in, the code for 注销 may be sent.
fn a_minute_later(clock: &FixedClock) {
    clock.advance(Duration::from_secs(61));
}

async fn revoked_after_review(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    let h = holder::enterprise(&app, "h1", KeyKind::P256).await;
    let (b, id, form) = revoke_form(&app, &h).await;
    a_minute_later(&clock);

    // No reason; a code never asked for; a wrong code: each refused, nothing changed.
    let before = state(&app).await;
    let r = b
        .post(
            &form,
            &format!("/apply/{id}/revoke"),
            &[("reason", ""), ("code", "123456")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.field_error("reason"), "请选择注销原因");
    assert_eq!(state(&app).await, before);
    let r = b
        .post(
            &form,
            &format!("/apply/{id}/revoke"),
            &[("reason", "keyCompromise"), ("code", "123456")],
        )
        .await;
    assert_eq!(r.text("#revoke-error"), "请先获取验证码");
    assert_eq!(state(&app).await, before);
    let sent = b
        .post(
            &form,
            &format!("/apply/{id}/revoke-code"),
            &[("reason", "keyCompromise")],
        )
        .await;
    let code = testkit::outbox::sms_code(&app.settings.data_dir, MOBILE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b
        .post(
            &sent,
            &format!("/apply/{id}/revoke"),
            &[("reason", "keyCompromise"), ("code", wrong)],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text("#revoke-error"), "验证码不正确，还可尝试 4 次");
    assert_eq!(state(&app).await, before);
    // The certificate still answers good.
    let (chain, issuing) = (app.chain_file().await, app.issuing_file().await);
    let url = format!("{}/pki/ocsp", app.base);
    let ocsp = |serial: &str| openssl::ocsp_by_serial(&issuing, &chain, &url, serial);
    assert!(ocsp(&h.serial).contains(": good"));

    // Someone else cannot start a 注销 of it from their 我的证书.
    a_minute_later(&clock);
    let other = Browser::new(&app.base);
    let me = other
        .sign_in(&app.settings.data_dir, "13912345678", "/me")
        .await;
    let before = state(&app).await;
    let r = other
        .post(&me, &format!("/me/certificates/{}/revoke", h.serial), &[])
        .await;
    assert_eq!(r.status, 404, "{}", r.html);
    assert_eq!(state(&app).await, before);

    // The right code: 待审核 until a reviewer approves, then revoked.
    a_minute_later(&clock);
    let done = confirm(&app, &b, &id, &form, "keyCompromise").await;
    assert_eq!(done.path(), format!("/me/applications/{id}"));
    assert_eq!(done.status(), "待审核");
    assert!(
        done.text("#revocation dd")
            .starts_with("密钥泄露或 U 盾丢失"),
        "{}",
        done.text("#revocation")
    );
    assert!(ocsp(&h.serial).contains(": good"), "not before the review");
    let reviewer = common::staff::staff_at(&app, "wang.reviewer", "reviewer", clock.now_ms()).await;
    common::staff::approve_by(&app, &reviewer, &id).await;
    let answer = ocsp(&h.serial);
    assert!(
        answer.contains(": revoked") && answer.contains("keyCompromise"),
        "{answer}"
    );
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert_eq!(detail.status(), "已完成");
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline.iter().any(|l| l.contains("证书已注销")),
        "{timeline:?}"
    );
    let me = b.get("/me").await;
    me.assert_reads("#certificates .badge", "已吊销");
    app.server.stop().await;
}

/// 注销 set to automatic review on the products page, started from the
/// assistant with the key in a SoftHSM2 token: revoked at once.
async fn revoked_at_once() {
    let (app, clock) = spawn(Backend::Sqlite).await;
    let admin = common::staff::staff_at(&app, "chen.admin", "admin", clock.now_ms()).await;
    let products = admin.browser.get("/admin/products").await;
    let saved = admin
        .browser
        .post(
            &products,
            "/admin/products/price",
            &[
                ("business", "revoke"),
                ("cert_type", "enterprise"),
                ("yuan", "0"),
                ("reviewers", "0"),
            ],
        )
        .await;
    assert_eq!(saved.notice(), "已保存；新设置只适用于此后提交的申请");
    let h = holder::enterprise(&app, "h1", KeyKind::P256).await;
    let usb = testkit::softhsm::Token::new("holder-key");
    usb.import(&h.key, &h.cert);
    let o = common::assistant::run(&usb, &app, &["revoke", "--no-browser"], None).await;
    let said = common::assistant::out(&o);
    assert!(
        o.status.success() && said.contains("请在浏览器中选择注销原因"),
        "{said}"
    );
    let link = common::assistant::printed_link(&o);
    let (b, id, form) = form_from(&app, &link).await;
    a_minute_later(&clock);
    let done = confirm(&app, &b, &id, &form, "cessationOfOperation").await;
    assert_eq!(done.status(), "已完成");
    let timeline = done.texts("#timeline li");
    assert!(
        timeline.iter().any(|l| l.contains("自动审核通过")),
        "{timeline:?}"
    );
    let (chain, issuing) = (app.chain_file().await, app.issuing_file().await);
    let url = format!("{}/pki/ocsp", app.base);
    let answer = openssl::ocsp_by_serial(&issuing, &chain, &url, &h.serial);
    assert!(
        answer.contains(": revoked") && answer.contains("cessationOfOperation"),
        "{answer}"
    );
    // The holder is told by SMS.
    let log = std::fs::read_to_string(app.settings.data_dir.join("outbox/sms.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("已注销"), "{log}");
    app.server.stop().await;
}

on_both_databases!(revoked_after_review);

#[tokio::test(flavor = "multi_thread")]
async fn automatic_review_revokes_at_once() {
    revoked_at_once().await;
}
