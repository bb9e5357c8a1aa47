//! 在线延期 end to end, on a clock the tests move: the window's edges (day 91
//! and day 90 before the end, a year and a year and a day after), the paid
//! renewal of a live certificate through the assistant and a SoftHSM2 token
//! (the new end is the old end plus the years paid, checked with `openssl`;
//! the old certificate is on the CRL as superseded), and the renewal of an
//! expired certificate under automatic review (its years count from the day it
//! is written). Refusals leave the applications as they were.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::assistant::{out, run, token_certificate};
use common::browser::{Browser, Page};
use common::flow::{open_link, pay_with_alipay};
use common::holder::{self, Holder};
use domain::calendar::{add_years, beijing_minutes, civil};
use domain::{Clock, FixedClock};
use testkit::openssl::{self, KeyKind};
use testkit::softhsm::Token as Usb;
use testkit::{Backend, on_both_databases};

const DAY: i64 = 86_400_000;

struct Setup {
    app: TestApp,
    clock: Arc<FixedClock>,
}

async fn setup(backend: Backend) -> Setup {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    Setup { app, clock }
}

impl Setup {
    /// Moves the clock forward to `at` (ms).
    fn set(&self, at: i64) {
        let now = self.clock.now_ms();
        assert!(at >= now, "the clock only moves forward");
        self.clock
            .advance(Duration::from_millis(u64::try_from(at - now).unwrap()));
    }

    async fn not_after(&self, h: &Holder) -> i64 {
        let serial = domain::Serial::parse(&h.serial).unwrap().to_hex();
        self.app
            .scalar(&format!(
                "SELECT not_after FROM certificates WHERE serial = '{serial}'"
            ))
            .await
    }
}

/// 在线延期 in the assistant, then its link followed and signed in with
/// `mobile`: the browser and the page it lands on.
async fn assistant_form(usb: &Usb, app: &TestApp, mobile: &str) -> (Browser, Page) {
    let o = run(usb, app, &["renew", "--no-browser"], None).await;
    assert!(o.status.success(), "{}", out(&o));
    open_link(app, &common::assistant::printed_link(&o), mobile).await
}

fn iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms.div_euclid(1000));
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

/// The application the hand-off opened, from the page's path.
fn app_id_of(page: &Page) -> String {
    page.path().split('/').nth(2).unwrap().to_string()
}

async fn window_edges() {
    let s = setup(Backend::Sqlite).await;
    let app = &s.app;
    let mut holders = Vec::new();
    for i in 0..4 {
        holders.push(holder::enterprise(app, &format!("edge{i}"), KeyKind::P256).await);
    }
    // (holder, days from its end, opened?). The clock only moves forward, and
    // each certificate ends a moment after the one before.
    let edges = [
        (0, -91, false),
        (1, -90, true),
        (2, 365, true),
        (3, 366, false),
    ];
    for (i, days, opens) in edges {
        let h = &holders[i];
        let end = s.not_after(h).await;
        s.set(end + days * DAY);
        let mobile = format!("1381234567{i}");
        let link = holder::handoff_link_for(app, h, "renew").await;
        let before = app.business_snapshot().await;
        let (_, page) = open_link(app, &link, &mobile).await;
        if opens {
            assert!(page.path().ends_with("/form"), "day {days}: {}", page.url);
            assert!(
                page.text("fieldset.terms legend").starts_with("延期年限"),
                "day {days}: {}",
                page.visible()
            );
        } else {
            assert_eq!(page.status, 400, "day {days}: {}", page.html);
            let why = if days < 0 {
                format!(
                    "在线延期自到期前 90 天（{}）起可办理",
                    beijing_minutes(end - 90 * DAY)
                )
            } else {
                "超过 365 天，无法在线延期，请办理在线新办".to_string()
            };
            let said = page.error();
            assert!(said.ends_with(&why), "day {days}: {said}");
            assert_eq!(app.business_snapshot().await, before, "day {days}");
        }
    }
    s.app.server.stop().await;
}

async fn paid_renewal_in_the_token(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    // The reviewer's account is set up now: set-up links run on the CLI's
    // (real) clock.
    let link = common::staff::add(app, "zhao.reviewer", "reviewer", &[]).await;
    let secret = common::staff::set_up(app, &link).await;
    let h = holder::enterprise(app, "h1", KeyKind::P256).await;
    let usb = Usb::new("holder-key");
    usb.import(&h.key, &h.cert);
    let end = s.not_after(&h).await;

    // A year before the end the assistant says why not, and nothing starts.
    let early = run(&usb, app, &["renew", "--no-browser"], None).await;
    assert!(!early.status.success());
    assert!(
        out(&early).contains("暂不能在线延期：证书有效期至"),
        "{}",
        out(&early)
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applications").await, 0);

    // 30 days before the end: the form, with the price of each term and the
    // end it gives (from the old end: nothing paid for is lost).
    s.set(end - 30 * DAY);
    let (b, form) = assistant_form(&usb, app, "13812345678").await;
    assert!(form.path().ends_with("/form"), "{}", form.url);
    let app_id = app_id_of(&form);
    for price in ["¥300.00", "¥600.00", "¥900.00"] {
        form.assert_reads(".term .price", price);
    }
    form.assert_reads(
        ".term .muted",
        &format!("新证书有效期至 {}", beijing_minutes(add_years(end, 2))),
    );
    form.assert_reads(".facts dd", holder::ORG);
    // A term out of range: the message, and nothing saved.
    let before = app.business_snapshot().await;
    let bad = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[("years", "4"), ("contact_mobile", "13812345678")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("years"), "请选择 1 至 3 年");
    assert_eq!(app.business_snapshot().await, before);

    let materials = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[("years", "2"), ("contact_mobile", "13812345678")],
        )
        .await;
    assert_eq!(
        materials.text("#no-materials"),
        "本业务无需上传资料，请直接点击“下一步”。"
    );
    assert_eq!(materials.text("#term"), "2 年");

    // A change for the same certificate cannot start beside it.
    let change_link = holder::handoff_link(app, &h).await;
    let before = app.business_snapshot().await;
    let refused = b.get(&change_link).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_eq!(
        refused.error(),
        "该证书有正在办理中的在线延期，请办结或撤销后再申请证书变更"
    );
    assert_eq!(app.business_snapshot().await, before);

    // 下一步: two years at ¥300.00 a year.
    let order = b
        .post(&materials, &format!("/apply/{app_id}/submit"), &[])
        .await;
    assert!(order.path().starts_with("/pay/"), "{}", order.url);
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    assert_eq!(
        app.scalar(&format!(
            "SELECT amount_fen FROM orders WHERE id = '{order_id}'"
        ))
        .await,
        60_000
    );
    pay_with_alipay(app, &b, &order_id, holder::ORG, "¥600.00").await;
    let pending = run(&usb, app, &["renew", "--no-browser"], None).await;
    assert!(
        out(&pending).contains("在线延期申请状态：待审核"),
        "{}",
        out(&pending)
    );

    // The review desk shows the old validity against the new one.
    let now = s.clock.now_ms();
    let reviewer = common::staff::sign_in_at(app, "zhao.reviewer", &secret, now).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    desk.assert_reads("h2", "延期前后对比");
    let until = format!("至 {}", beijing_minutes(add_years(end, 2)));
    let compared = desk.texts("#compare td");
    assert!(
        compared.iter().any(|c| c.starts_with(&until)),
        "{until}: {compared:?}"
    );
    common::staff::approve_by(app, &reviewer, &app_id).await;

    // The assistant writes the renewed certificate into the same token.
    s.set(end - 29 * DAY);
    let done = run(&usb, app, &["renew", "--no-browser"], None).await;
    assert!(done.status.success(), "{}", out(&done));
    assert!(out(&done).contains("在线延期已完成"), "{}", out(&done));
    let pem = token_certificate(app, &usb, &h.serial);
    assert_eq!(openssl::not_after_iso(&pem), iso(add_years(end, 2)));
    assert_eq!(openssl::subject_utf8(&pem), openssl::subject_utf8(&h.cert));
    let chain = app.chain_file().await;
    let at = (s.clock.now_ms() / 1000).to_string();
    openssl::ok(&[
        "verify",
        "-attime",
        &at,
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);
    // The old certificate is on the CRL, superseded.
    let crl_path = app.path("after-renewal.crl");
    let listed = common::eventually(Duration::from_secs(10), || async {
        std::fs::write(&crl_path, app.get_bytes("/pki/crl").await).unwrap();
        let text = openssl::ok(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            crl_path.to_str().unwrap(),
            "-noout",
            "-text",
        ]);
        text.contains(&h.serial) && text.contains("Superseded")
    })
    .await;
    assert!(listed.is_some(), "the old certificate is not on the CRL");

    // 个人中心 (signed in again: a day has passed): done, with the new end;
    // 我的证书 lists both.
    let b = Browser::new(&app.base);
    let detail = b
        .sign_in(
            &app.settings.data_dir,
            "13812345678",
            &format!("/me/applications/{app_id}"),
        )
        .await;
    assert_eq!(detail.status(), "已完成");
    // The end it was written with, no longer an estimate.
    assert_eq!(
        detail.text("#new-until"),
        beijing_minutes(add_years(end, 2))
    );
    assert!(!detail.has("按今天签发估算"), "{}", detail.html);
    let me = b.get("/me").await;
    let serials = me.texts("td.serial");
    assert!(
        serials.contains(&openssl::serial_of(&pem)) && serials.contains(&h.serial),
        "{serials:?}"
    );
    common::ledger::assert_invariant(&s.app).await;
    s.app.server.stop().await;
}

/// Set 在线延期 (机构证书) to automatic review on the products page.
async fn automatic_review(app: &TestApp) {
    let admin = common::staff::staff(app, "chen.admin", "admin", &[]).await;
    let products = admin.browser.get("/admin/products").await;
    products.assert_reads("#product-renew-enterprise option", "自动审核");
    let saved = admin
        .browser
        .post(
            &products,
            "/admin/products/price",
            &[
                ("business", "renew"),
                ("cert_type", "enterprise"),
                ("yuan", "300"),
                ("reviewers", "0"),
            ],
        )
        .await;
    assert_eq!(saved.notice(), "已保存；新设置只适用于此后提交的申请");
}

async fn expired_renewal_under_automatic_review() {
    let s = setup(Backend::Sqlite).await;
    let app = &s.app;
    automatic_review(app).await;
    let h = holder::enterprise(app, "h1", KeyKind::P256).await;
    let usb = Usb::new("holder-key");
    usb.import(&h.key, &h.cert);
    let end = s.not_after(&h).await;

    // Ten days after the end the expired key still proves who holds it.
    s.set(end + 10 * DAY);
    let (b, form) = assistant_form(&usb, app, "13912345678").await;
    form.assert_reads(
        ".hint",
        "原证书已过期：新证书的有效期自写入证书介质之日起算，以上日期按今天估算。",
    );
    let app_id = app_id_of(&form);
    let materials = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[("years", "1"), ("contact_mobile", "13912345678")],
        )
        .await;
    let order = b
        .post(&materials, &format!("/apply/{app_id}/submit"), &[])
        .await;
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    pay_with_alipay(app, &b, &order_id, holder::ORG, "¥300.00").await;
    // Paid, and approved by the product's setting at once (the payment may be
    // booked by the notify a moment after the browser comes back).
    let sql = format!("SELECT state FROM applications WHERE id = '{app_id}'");
    let approved = common::eventually(Duration::from_secs(10), || async {
        app.text(&sql).await == "APPROVED"
    })
    .await;
    assert!(approved.is_some(), "{}", app.text(&sql).await);
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline.iter().any(|l| l.contains("自动审核通过")),
        "{timeline:?}"
    );
    assert!(
        detail
            .text("#new-until")
            .ends_with("（按今天签发估算，以写入之日为准）"),
        "{}",
        detail.text("#new-until")
    );

    // Written two days later: a year from then.
    s.set(end + 12 * DAY);
    let written_at = s.clock.now_ms();
    let done = run(&usb, app, &["renew", "--no-browser"], None).await;
    assert!(out(&done).contains("在线延期已完成"), "{}", out(&done));
    let pem = token_certificate(app, &usb, &h.serial);
    assert_eq!(openssl::not_after_iso(&pem), iso(add_years(written_at, 1)));
    // An expired certificate is not revoked: it has run out already.
    let old = domain::Serial::parse(&h.serial).unwrap().to_hex();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM certificates WHERE serial = '{old}' AND revoked_at IS NULL"
        ))
        .await,
        1
    );
    common::ledger::assert_invariant(&s.app).await;
    s.app.server.stop().await;
}

/// A revoked certificate is not renewed: its key no longer proves anything,
/// and nothing starts.
async fn revoked_is_refused() {
    let s = setup(Backend::Sqlite).await;
    let app = &s.app;
    let h = holder::enterprise(app, "h1", KeyKind::P256).await;
    let end = s.not_after(&h).await;
    let revoked = app
        .cli(&["ca", "revoke", &h.serial, "--reason", "keyCompromise"])
        .await;
    assert!(revoked.status.success(), "{}", common::stderr(&revoked));
    s.set(end - 30 * DAY);
    let before = app.business_snapshot().await;
    let (nonce, text) = holder::challenge(app).await;
    let sig = holder::sign(app.dir.path(), &h.key, h.kind, &text);
    let r = app
        .http
        .post(format!("{}/api/v1/handoff", app.base))
        .json(&serde_json::json!({
            "certificate": std::fs::read_to_string(&h.cert).unwrap(),
            "nonce": nonce,
            "signature": sig,
            "business": "renew",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("该证书已被吊销，不能办理此业务"), "{body}");
    assert_eq!(app.business_snapshot().await, before);
    s.app.server.stop().await;
}

on_both_databases!(paid_renewal_in_the_token);

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_certificate_is_not_renewed() {
    revoked_is_refused().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_edges() {
    window_edges().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_renews_under_automatic_review() {
    expired_renewal_under_automatic_review().await;
}
