//! The back office (/admin) over HTTP on both databases: staff set up with the
//! CLI's one-time link and signed in with password + TOTP; a paid change approved
//! and one rejected and refunded through the sandbox; four eyes; two reviewers
//! deciding at once; revocation, finance, products and the audit page.

use std::time::Duration;

use common::TestApp;
use common::browser::{Browser, Page};
use common::flow::{to_materials, to_method};
use common::staff::{self, Staff};
use domain::Business;
use domain::Role;
use testkit::{Backend, on_both_databases};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn text(app: &TestApp, sql: &str) -> String {
    app.text(sql).await
}

async fn app_state(app: &TestApp, id: &str) -> String {
    text(
        app,
        &format!("SELECT state FROM applications WHERE id = '{id}'"),
    )
    .await
}

async fn version(app: &TestApp, id: &str) -> String {
    scalar(
        app,
        &format!("SELECT version FROM applications WHERE id = '{id}'"),
    )
    .await
    .to_string()
}

/// What a refused back-office action must not change.
async fn desk_snapshot(app: &TestApp) -> String {
    let pool = app.server.authority.db().pool();
    let apps: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, state, version FROM applications ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut out = format!("applications {apps:?}\n");
    out.push_str(&app.pay_snapshot().await);
    for t in [
        "application_events",
        "review_approvals",
        "shipments",
        "prices",
        "material_rules",
    ] {
        let n = scalar(app, &format!("SELECT COUNT(*) FROM {t}")).await;
        out.push_str(&format!("{t} {n}\n"));
    }
    let revoked = scalar(
        app,
        "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL",
    )
    .await;
    out.push_str(&format!("revoked {revoked}\n"));
    out
}

/// The newest SMS to a mobile number.
fn last_sms(app: &TestApp, mobile: &str) -> String {
    let log = std::fs::read_to_string(app.settings.data_dir.join("outbox/sms.log")).unwrap();
    log.lines()
        .rfind(|l| l.split('\t').nth(1) == Some(mobile))
        .unwrap_or_default()
        .to_string()
}

/// Pays an order at the sandbox's Alipay cashier; waits for 待审核.
async fn pay_alipay(app: &TestApp, b: &Browser, app_id: &str, order_id: &str, method: &Page) {
    b.post(method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let no = text(
        app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let sandbox = app.server.sandbox.as_ref().unwrap().base.clone();
    b.client
        .post(format!("{sandbox}/alipay/cashier/{no}/pay"))
        .send()
        .await
        .unwrap();
    let paid = common::eventually(Duration::from_secs(10), || async {
        app_state(app, app_id).await == "PENDING_REVIEW"
    })
    .await;
    assert!(paid.is_some(), "the payment did not arrive");
    // The invoice is drawn and mailed after the payment is booked: wait for it,
    // so later snapshots of the database are not taken mid-way.
    let sql = format!(
        "SELECT COUNT(*) FROM invoices WHERE order_id = '{order_id}' AND mailed_at IS NOT NULL"
    );
    let invoiced = common::eventually(Duration::from_secs(10), || async {
        scalar(app, &sql).await == 1
    })
    .await;
    assert!(invoiced.is_some(), "no invoice mailed for the paid order");
}

/// A paid change waiting for review: (holder's browser, application id, order id).
async fn paid_pending(app: &TestApp, mobile: &str) -> (Browser, String, String) {
    let (b, app_id, order_id, method) = to_method(app, mobile).await;
    pay_alipay(app, &b, &app_id, &order_id, &method).await;
    (b, app_id, order_id)
}

/// A free change submitted for review.
async fn free_pending(app: &TestApp, mobile: &str) -> (Browser, String) {
    let (b, app_id, page) = to_materials(app, mobile).await;
    let done = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(done.text("#result"), "申请成功，等待审核");
    (b, app_id)
}

/// Opens the application on the desk (which claims it) and posts a decision.
async fn decide(s: &Staff, app: &TestApp, id: &str, what: &str, reason: &str) -> Page {
    let page = s.browser.get(&format!("/admin/applications/{id}")).await;
    let v = version(app, id).await;
    s.browser
        .post(
            &page,
            &format!("/admin/applications/{id}/{what}"),
            &[("version", &v), ("reason", reason)],
        )
        .await
}

/// A paid change: the reviewer sees the old and new subject side by side with
/// the differences marked, the materials inline and the payment; approval moves
/// it to 审核通过/待更新, the holder gets an SMS and sees it; all of it audited.
async fn paid_change_approved(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .with_staff("wang.reviewer", Role::Reviewer)
        .spawn()
        .await;
    let (holder, app_id, _) = paid_pending(&app, "13812345678").await;
    let reviewer = app.staff("wang.reviewer");

    let queue = reviewer.browser.get("/admin/applications").await;
    assert!(
        queue.shows(&format!("#queue a[href=\"/admin/applications/{app_id}\"]")),
        "{}",
        queue.html
    );
    let cells = queue.texts("#queue td");
    assert!(
        cells.iter().any(|c| c == "合肥新名科技有限公司")
            && cells.iter().any(|c| c == "138****5678"),
        "{cells:?}"
    );
    // Filtered to another business, it is not listed.
    let other = reviewer
        .browser
        .get("/admin/applications?business=renew")
        .await;
    assert!(!other.has(&app_id));
    assert_eq!(other.text("#queue-empty"), "没有符合条件的申请。");

    let detail = reviewer
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    // Old and new side by side, the difference marked.
    let changed = detail.texts("#compare tr.changed td");
    assert!(
        changed.iter().any(|c| c == "合肥旧名科技有限公司")
            && changed.iter().any(|c| c == "合肥新名科技有限公司 已变更"),
        "{changed:?}"
    );
    assert!(
        detail.text("#claim").starts_with("您正在审核"),
        "opening it claims it: {}",
        detail.text("#claim")
    );
    let payment = detail.texts("table.results td");
    assert!(
        payment.iter().any(|c| c == "已支付") && payment.iter().any(|c| c == "支付宝"),
        "{payment:?}"
    );
    // The materials are shown in the page, and fetching one is audited.
    // A PDF shown inline.
    let src = detail.attr(".material-view iframe", "src");
    let r = reviewer
        .browser
        .client
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    assert!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'material.viewed'"
        )
        .await
            >= 1
    );
    // The holder cannot open the back office.
    let refused = holder.get(&format!("/admin/applications/{app_id}")).await;
    assert!(
        refused.path().starts_with("/admin/signin"),
        "{}",
        refused.url
    );

    let done = decide(reviewer, &app, &app_id, "approve", "").await;
    assert_eq!(done.notice(), "已审核通过，已短信通知申请人");
    assert_eq!(done.status(), "审核通过");
    assert_eq!(app_state(&app, &app_id).await, "APPROVED");
    let me = holder.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(me.status(), "审核通过");
    assert!(last_sms(&app, "13812345678").contains("审核通过"));
    for action in ["staff.signin", "application.approved"] {
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
            )
            .await,
            1,
            "{action}"
        );
    }
    assert_eq!(
        text(
            &app,
            "SELECT actor FROM audit_log WHERE action = 'application.approved'"
        )
        .await,
        "staff:wang.reviewer"
    );
    // Approving twice is refused and changes nothing.
    let before = desk_snapshot(&app).await;
    let again = decide(reviewer, &app, &app_id, "approve", "").await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error(), "该申请当前为“审核通过”，不能审核");
    assert_eq!(desk_snapshot(&app).await, before);
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// 退回补正 keeps the payment; 审核不通过 of a paid application refunds it in
/// full through the sandbox. A decision without a reason is refused.
async fn return_and_reject(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .with_staff("li.reviewer", Role::Reviewer)
        .spawn()
        .await;
    let (holder, app_id, order_id) = paid_pending(&app, "13812345678").await;
    let reviewer = app.staff("li.reviewer");

    for what in ["return", "reject"] {
        let before = desk_snapshot(&app).await;
        let page = decide(reviewer, &app, &app_id, what, "  ").await;
        assert_eq!(page.status, 400, "{}", page.html);
        assert_eq!(page.error(), "请填写原因，申请人将看到该原因");
        assert_eq!(desk_snapshot(&app).await, before, "{what} without a reason");
    }

    let page = decide(reviewer, &app, &app_id, "return", "营业执照副本不清晰").await;
    assert_eq!(page.notice(), "已退回补正，已短信通知申请人");
    assert_eq!(page.status(), "退回补正");
    assert_eq!(app_state(&app, &app_id).await, "RETURNED");
    assert!(last_sms(&app, "13812345678").contains("营业执照副本不清晰"));
    let me = holder.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(me.status(), "退回补正");
    let timeline = me.texts("#timeline li");
    assert!(
        timeline
            .iter()
            .any(|l| l.contains("退回补正 营业执照副本不清晰")),
        "{timeline:?}"
    );
    // The holder resubmits; the payment stands (no second order).
    let edit = holder.get(&format!("/apply/{app_id}/materials")).await;
    let back = holder
        .post(&edit, &format!("/apply/{app_id}/submit"), &[])
        .await;
    assert!(back.status < 400, "{}", back.html);
    assert_eq!(app_state(&app, &app_id).await, "PENDING_REVIEW");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM orders").await, 1);

    let page = decide(
        reviewer,
        &app,
        &app_id,
        "reject",
        "单位名称与营业执照不一致",
    )
    .await;
    assert_eq!(
        page.notice(),
        "已审核不通过，已短信通知申请人；如已支付将原路退款"
    );
    let refunded = common::eventually(Duration::from_secs(10), || async {
        app_state(&app, &app_id).await == "REFUNDED"
    })
    .await;
    assert!(
        refunded.is_some(),
        "state {}",
        app_state(&app, &app_id).await
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM refunds WHERE order_id = '{order_id}'")
        )
        .await,
        "DONE"
    );
    assert!(last_sms(&app, "13812345678").contains("单位名称与营业执照不一致"));
    let me = holder.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(me.status(), "已退款");
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// Four eyes: with two reviewers set for the product (by an admin, for new
/// applications only) the first approval is recorded, the same person cannot
/// give the second, another reviewer can; nobody reviews their own application.
async fn four_eyes(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (_, before_id) = free_or_paid(&app, "13812345670").await;
    let admin = staff::staff(&app, "zhao.admin", "admin", &[]).await;
    let products = admin.browser.get("/admin/products").await;
    assert_eq!(products.text("#product-change-enterprise td"), "证书变更");
    let saved = admin
        .browser
        .post(
            &products,
            "/admin/products/price",
            &[
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("yuan", "100"),
                ("reviewers", "2"),
            ],
        )
        .await;
    assert_eq!(saved.notice(), "已保存；新设置只适用于此后提交的申请");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'product.updated'"
        )
        .await,
        1
    );
    let (_, app_id) = free_or_paid(&app, "13812345678").await;
    // Materials: made required for applications created from now on; the
    // application above keeps the list it was created with.
    let products = admin.browser.get("/admin/products").await;
    let toggled = admin
        .browser
        .post(
            &products,
            "/admin/products/material",
            &[
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("kind", "authorization"),
                ("required", "1"),
            ],
        )
        .await;
    assert_eq!(toggled.notice(), "已保存；新设置只适用于此后提交的申请");
    let listed = toggled.texts("#product-change-enterprise td div");
    assert!(
        listed
            .iter()
            .any(|m| m.starts_with("授权委托书（经办人非法定代表人时提供）：必需")),
        "{listed:?}"
    );
    let kept = text(
        &app,
        &format!("SELECT required_materials FROM applications WHERE id = '{app_id}'"),
    )
    .await;
    assert!(!kept.contains("authorization"), "{kept}");
    let before = desk_snapshot(&app).await;
    for (fields, message) in [
        (
            vec![
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("yuan", "一百"),
                ("reviewers", "1"),
            ],
            "价格应为不小于 0 的金额，最多两位小数，如 300 或 99.50",
        ),
        (
            vec![
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("yuan", "100"),
                ("reviewers", "3"),
            ],
            "审核人数只能是 0（自动）、1 或 2",
        ),
        (
            vec![
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("yuan", "100"),
                ("reviewers", "0"),
            ],
            "只有在线延期和证书注销可以设为自动审核",
        ),
        (
            vec![
                ("business", "lottery"),
                ("cert_type", "enterprise"),
                ("yuan", "1"),
                ("reviewers", "1"),
            ],
            "未知的业务或证书类型",
        ),
    ] {
        let r = admin
            .browser
            .post(&products, "/admin/products/price", &fields)
            .await;
        assert_eq!(r.status, 400, "{}", r.html);
        assert_eq!(r.error(), message);
        assert_eq!(desk_snapshot(&app).await, before);
    }
    let r = admin
        .browser
        .post(
            &products,
            "/admin/products/material",
            &[
                ("business", "change"),
                ("cert_type", "enterprise"),
                ("kind", "passport"),
                ("required", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error(), "该业务没有这项材料");
    assert_eq!(desk_snapshot(&app).await, before);
    let a = staff::staff(&app, "a.reviewer", "reviewer", &[]).await;
    let b = staff::staff(&app, "b.reviewer", "reviewer", &[]).await;
    let own = staff::staff(&app, "c.reviewer", "reviewer", &["--mobile", "13812345678"]).await;

    // The application made before the change needs one approval.
    decide(&a, &app, &before_id, "approve", "").await;
    assert_eq!(app_state(&app, &before_id).await, "APPROVED");

    let first = decide(&a, &app, &app_id, "approve", "材料齐全").await;
    assert_eq!(first.notice(), "已记录初审通过，等待另一位审核员复核");
    assert_eq!(first.status(), "待审核");
    assert_eq!(app_state(&app, &app_id).await, "PENDING_REVIEW");

    let before = desk_snapshot(&app).await;
    let again = decide(&a, &app, &app_id, "approve", "").await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error(), "您已批准过该申请，须由另一位审核员复核");
    assert_eq!(desk_snapshot(&app).await, before);

    // The reviewer whose own mobile made the application may not decide on it.
    let refused = decide(&own, &app, &app_id, "approve", "").await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_eq!(desk_snapshot(&app).await, before);

    let second = decide(&b, &app, &app_id, "approve", "").await;
    assert_eq!(second.notice(), "已审核通过，已短信通知申请人");
    assert_eq!(app_state(&app, &app_id).await, "APPROVED");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM review_approvals WHERE application_id = '{app_id}'")
        )
        .await,
        2
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// A submitted change for review on the paid app (paid through the sandbox).
async fn free_or_paid(app: &TestApp, mobile: &str) -> (Browser, String) {
    let (b, id, _) = paid_pending(app, mobile).await;
    (b, id)
}

/// Two reviewers approve the same application at the same moment: exactly one
/// decision is recorded and the other is told.
async fn concurrent_approvals(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .with_staff("a.reviewer", Role::Reviewer)
        .with_staff("b.reviewer", Role::Reviewer)
        .spawn()
        .await;
    let (_, app_id) = free_pending(&app, "13812345678").await;
    let a = app.staff("a.reviewer");
    let b = app.staff("b.reviewer");
    // Both look at the queue (nobody has claimed it) and approve at once.
    let pa = a.browser.get("/admin/applications").await;
    let pb = b.browser.get("/admin/applications").await;
    let v = version(&app, &app_id).await;
    let action = format!("/admin/applications/{app_id}/approve");
    let fields = [("version", v.as_str()), ("reason", "")];
    let (ra, rb) = tokio::join!(
        a.browser.post(&pa, &action, &fields),
        b.browser.post(&pb, &action, &fields)
    );
    let approved = |p: &Page| p.texts("#notice") == ["已审核通过，已短信通知申请人"];
    let wins = [&ra, &rb].into_iter().filter(|p| approved(p)).count();
    assert_eq!(wins, 1, "{}\n---\n{}", ra.html, rb.html);
    let loser = if approved(&ra) { &rb } else { &ra };
    assert_eq!(loser.status, 409, "{}", loser.html);
    assert!(
        [
            "该申请已被他人处理或已变化，请刷新后查看",
            "该申请当前为“审核通过”，不能审核"
        ]
        .contains(&loser.error().as_str()),
        "{}",
        loser.error()
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'application.approved'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) FROM application_events WHERE application_id = '{app_id}' AND to_state = 'APPROVED'")).await,
        1
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM review_approvals").await,
        1
    );
    app.server.stop().await;
}

/// Approving an application the holder cancelled meanwhile is refused.
async fn cancelled_meanwhile(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .with_staff("wang.reviewer", Role::Reviewer)
        .spawn()
        .await;
    let (holder, app_id) = free_pending(&app, "13812345678").await;
    let reviewer = app.staff("wang.reviewer");
    let page = reviewer
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    let v = version(&app, &app_id).await;
    let me = holder.get(&format!("/me/applications/{app_id}")).await;
    let cancelled = holder
        .post(&me, &format!("/me/applications/{app_id}/cancel"), &[])
        .await;
    assert!(cancelled.status < 400, "{}", cancelled.html);
    assert_eq!(app_state(&app, &app_id).await, "CANCELLED");
    let before = desk_snapshot(&app).await;
    let r = reviewer
        .browser
        .post(
            &page,
            &format!("/admin/applications/{app_id}/approve"),
            &[("version", &v)],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.html);
    assert_eq!(r.error(), "申请人已撤销该申请，无需审核");
    assert_eq!(desk_snapshot(&app).await, before);
    app.server.stop().await;
}

/// Staff sign-in: both factors needed, one generic message for every failure,
/// failures counted and the account locked after five; a replayed code refused;
/// sessions end after 15 idle minutes.
async fn staff_sign_in(backend: Backend) {
    let clock = std::sync::Arc::new(domain::FixedClock::at(std::time::SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let link = staff::add(&app, "wang.reviewer", "reviewer", &[]).await;
    // The set-up link shows the secret once set up no more.
    let secret = staff::set_up(&app, &link).await;
    let reused = Browser::new(&app.base).get(&link).await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.error(), "设置链接无效或已过期，请联系管理员重新生成");

    let b = Browser::new(&app.base);
    let good = staff::code(&secret, 0).await;
    let snapshot = || async {
        (
            scalar(&app, "SELECT COUNT(*) FROM staff_sessions").await,
            desk_snapshot(&app).await,
        )
    };
    let before = snapshot().await;
    for (i, (password, code)) in [
        ("wrong password!!", good.as_str()),
        (staff::PASSWORD, "000000"),
        (staff::PASSWORD, ""),
        ("", good.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        let p = staff::sign_in(&b, "wang.reviewer", password, code).await;
        assert_eq!(p.status, 401, "{}", p.html);
        assert_eq!(p.text("#signin-error"), ra::staff::SIGNIN_FAILED);
        assert_eq!(
            scalar(&app, "SELECT failed_count FROM staff").await,
            i as i64 + 1
        );
    }
    // An unknown account gets the same answer.
    let p = staff::sign_in(&b, "nobody", staff::PASSWORD, &good).await;
    assert_eq!(p.text("#signin-error"), ra::staff::SIGNIN_FAILED);
    assert_eq!(snapshot().await.0, before.0, "no session was opened");
    // The fifth failure locks the account: then even the right factors fail.
    staff::sign_in(&b, "wang.reviewer", "wrong password!!", &good).await;
    let locked = staff::sign_in(&b, "wang.reviewer", staff::PASSWORD, &good).await;
    assert_eq!(locked.status, 401);
    assert_eq!(locked.text("#signin-error"), ra::staff::SIGNIN_FAILED);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM staff_sessions").await, 0);
    assert!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'staff.locked'"
        )
        .await
            == 1
    );

    // After the lock, the right factors work; the same code a second time does not.
    clock.advance(Duration::from_secs(16 * 60));
    let ms = app.server.ra.now_ms();
    let code = format!(
        "{:06}",
        ra::staff::totp::hotp(&secret, ra::staff::totp::step_of(ms) as u64)
    );
    let home = staff::sign_in(&b, "wang.reviewer", staff::PASSWORD, &code).await;
    assert_eq!(home.path(), "/admin", "{}", home.html);
    let other = Browser::new(&app.base);
    let replay = staff::sign_in(&other, "wang.reviewer", staff::PASSWORD, &code).await;
    assert_eq!(replay.status, 401, "a used code is refused");

    // 15 idle minutes end the session.
    clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(b.get("/admin").await.path(), "/admin");
    clock.advance(Duration::from_secs(16 * 60));
    assert!(b.get("/admin").await.path().starts_with("/admin/signin"));
    app.server.stop().await;
}

/// Every back-office route with every role: what the role may not use is 403
/// (and changes nothing); what it may use is not. Signed out, pages send to
/// sign-in and actions are 401.
async fn roles_on_every_route(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let mut people = Vec::new();
    for role in domain::Role::ALL {
        let s = staff::staff(&app, &format!("{}.one", role.key()), role.key(), &[]).await;
        people.push((role, s));
    }
    let fill = |path: &str| {
        path.replace("{id}", "0190000000000000000000000000000a")
            .replace("{serial}", "01AB")
            .replace("{what}", "orders")
            .replace("{token}", "nothing")
    };
    let before = desk_snapshot(&app).await;
    for (role, s) in &people {
        let page = s.browser.get("/admin").await;
        for (method, path, need) in web::ADMIN_ROUTES {
            // Sign-in and set-up are public by design; sign-out is walked last.
            if matches!(need, web::Need::Anyone) || *path == "/admin/signout" {
                continue;
            }
            let url = fill(path);
            let r = if method.as_str() == "GET" {
                s.browser.get(&url).await
            } else {
                s.browser.post(&page, &url, &[("reason", "x")]).await
            };
            let allowed = match need {
                web::Need::Anyone | web::Need::Staff => true,
                web::Need::Perm(p) => role.may(*p),
            };
            if allowed {
                assert!(
                    r.status != 403 && r.status != 401,
                    "{role} {method} {path}: {} {}",
                    r.status,
                    r.html
                );
            } else {
                assert_eq!(r.status, 403, "{role} {method} {path}: {}", r.html);
                // The back office's error page, or plain text where a
                // route answers before any page is drawn.
                let said = if r.shows("#error-message") {
                    r.error()
                } else {
                    r.visible()
                };
                assert!(said.starts_with("没有权限"), "{role} {path}: {said}");
            }
        }
    }
    assert_eq!(desk_snapshot(&app).await, before);
    // Signed out.
    let anon = Browser::new(&app.base);
    let home = anon.get("/admin/finance").await;
    assert!(home.path().starts_with("/admin/signin"), "{}", home.url);
    // Sign-out ends the session: the same browser is then sent to sign in.
    let (_, s) = &people[0];
    let page = s.browser.get("/admin").await;
    let out = s.browser.post(&page, "/admin/signout", &[]).await;
    assert!(out.path().starts_with("/admin/signin"), "{}", out.url);
    assert!(
        s.browser
            .get("/admin/applications")
            .await
            .path()
            .starts_with("/admin/signin")
    );
    let r = anon
        .client
        .post(format!("{}/admin/products/price", app.base))
        .header("origin", &app.base)
        .form(&[("_csrf", home.csrf())])
        .send()
        .await
        .unwrap();
    assert!(r.status() == 401 || r.status() == 403, "{}", r.status());
    app.server.stop().await;
}

/// An operator revokes a certificate with a reason after confirming; CRL and
/// the status API show it at once. Without a reason or confirmation nothing
/// happens.
async fn revoke_from_the_back_office(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .with_staff("zhou.operator", Role::Operator)
        .spawn()
        .await;
    let holder = common::holder::enterprise(&app, "h1", testkit::openssl::KeyKind::P256).await;
    let op = app.staff("zhou.operator");
    let list = op
        .browser
        .get(&format!(
            "/admin/certificates?credit_code={}",
            common::holder::CODE
        ))
        .await;
    assert_eq!(
        list.texts("#certs td:first-child"),
        vec![holder.serial.clone()]
    );
    let page = op
        .browser
        .get(&format!("/admin/certificates/{}", holder.serial))
        .await;
    assert_eq!(page.status(), "有效");
    let facts = page.texts(".facts dd");
    assert!(
        facts.iter().any(|d| d == "合肥旧名科技有限公司"),
        "{facts:?}"
    );
    let action = format!("/admin/certificates/{}/revoke", holder.serial);
    let before = desk_snapshot(&app).await;
    for (fields, message) in [
        (vec![("confirm", "1")], "请选择吊销原因"),
        (
            vec![("reason", "keyCompromise")],
            "请勾选确认后再吊销，吊销后不可恢复",
        ),
        (
            vec![("reason", "whatever"), ("confirm", "1")],
            "吊销原因无效",
        ),
    ] {
        let r = op.browser.post(&page, &action, &fields).await;
        assert_eq!(r.status, 400, "{}", r.html);
        assert_eq!(r.error(), message);
        assert_eq!(desk_snapshot(&app).await, before);
    }
    let done = op
        .browser
        .post(
            &page,
            &action,
            &[("reason", "keyCompromise"), ("confirm", "1")],
        )
        .await;
    assert_eq!(done.notice(), "已吊销；CRL 与 OCSP 已更新");
    assert_eq!(done.status(), "已吊销");
    assert!(
        done.text("#revoked").ends_with("原因：密钥泄露"),
        "{}",
        done.text("#revoked")
    );
    let json: serde_json::Value = app
        .get(&format!("/api/v1/certificates/{}", holder.serial))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["status"], "revoked", "{json}");
    let crl = app.path("crl.der");
    let listed = common::eventually(Duration::from_secs(5), || async {
        std::fs::write(&crl, app.get_bytes("/pki/crl").await).unwrap();
        let out = std::process::Command::new("openssl")
            .args([
                "crl",
                "-inform",
                "DER",
                "-noout",
                "-text",
                "-in",
                crl.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&holder.serial)
    })
    .await;
    assert!(listed.is_some(), "the CRL lists the serial");
    assert_eq!(
        text(
            &app,
            "SELECT actor FROM audit_log WHERE action = 'certificate.revoke'"
        )
        .await,
        "staff:zhou.operator"
    );
    // Revoking again is refused.
    let again = op
        .browser
        .post(
            &page,
            &action,
            &[("reason", "keyCompromise"), ("confirm", "1")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert_eq!(again.error(), "该证书已被吊销");
    app.server.stop().await;
}

/// Finance confirms a 对公转账 receipt in the back office; the order is paid and
/// the application goes to review; rejected, its refund waits for finance, who
/// books it with the bank's reference; the lists export to CSV.
async fn finance_desk(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .with_staff("qian.finance", Role::Finance)
        .with_staff("wang.reviewer", Role::Reviewer)
        .spawn()
        .await;
    let (b, app_id, order_id, _) = to_method(&app, "13812345678").await;
    let page = b.get(&format!("/pay/{order_id}/bank")).await;
    // A file name that is a formula behind a space (issue 16, finding 11).
    b.upload(
        &page,
        &format!("/pay/{order_id}/bank"),
        " =cmd|' /C calc'!A0.pdf",
        common::holder::pdf(),
    )
    .await;
    let fin = app.staff("qian.finance");
    let reviewer = app.staff("wang.reviewer");
    let desk = fin.browser.get("/admin/finance").await;
    let transfer = desk.texts("#transfers tbody td");
    assert!(
        transfer.iter().any(|c| c == "待确认")
            && transfer.iter().any(|c| c == "=cmd|' /C calc'!A0.pdf"),
        "{transfer:?}"
    );
    let tid = text(&app, "SELECT id FROM bank_transfers").await;
    // A reviewer cannot confirm money.
    let before = desk_snapshot(&app).await;
    let rpage = reviewer.browser.get("/admin").await;
    let refused = reviewer
        .browser
        .post(
            &rpage,
            &format!("/admin/finance/transfers/{tid}/confirm"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(desk_snapshot(&app).await, before);

    let ok = fin
        .browser
        .post(
            &desk,
            &format!("/admin/finance/transfers/{tid}/confirm"),
            &[],
        )
        .await;
    assert_eq!(ok.notice(), "已确认收款，订单已支付，申请进入待审核");
    assert_eq!(app_state(&app, &app_id).await, "PENDING_REVIEW");
    let twice = fin
        .browser
        .post(
            &desk,
            &format!("/admin/finance/transfers/{tid}/confirm"),
            &[],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.html);

    decide(
        reviewer,
        &app,
        &app_id,
        "reject",
        "经办人身份证与授权委托书不符",
    )
    .await;
    assert_eq!(app_state(&app, &app_id).await, "REFUNDING");
    let desk = fin.browser.get("/admin/finance").await;
    assert!(
        desk.texts("#refunds button")
            .iter()
            .any(|b| b == "登记已退款"),
        "{}",
        desk.text("#refunds")
    );
    let rid = text(
        &app,
        &format!("SELECT id FROM refunds WHERE order_id = '{order_id}'"),
    )
    .await;
    let empty = fin
        .browser
        .post(
            &desk,
            &format!("/admin/finance/refunds/{rid}/paid"),
            &[("bank_reference", " ")],
        )
        .await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.error(), "请填写银行回单号");
    let booked = fin
        .browser
        .post(
            &desk,
            &format!("/admin/finance/refunds/{rid}/paid"),
            &[("bank_reference", "HX20261130001")],
        )
        .await;
    assert_eq!(booked.notice(), "已登记线下退款");
    assert_eq!(app_state(&app, &app_id).await, "REFUNDED");

    let csv = fin
        .browser
        .client
        .get(format!(
            "{}/admin/finance/export/orders?channel=bank",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    let no = text(&app, "SELECT out_trade_no FROM orders").await;
    assert!(body.starts_with('\u{feff}'), "BOM for spreadsheet programs");
    assert!(
        body.contains("订单号") && body.contains(&no) && body.contains("100.00"),
        "{body}"
    );
    let none = fin
        .browser
        .client
        .get(format!(
            "{}/admin/finance/export/orders?channel=alipay",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!none.contains(&no), "the filter applies to the export");
    let transfers = fin
        .browser
        .client
        .get(format!("{}/admin/finance/export/transfers", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        transfers.contains("\"' =cmd|' /C calc'!A0.pdf\""),
        "the formula is neutralised: {transfers}"
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// The auditor's page lists staff actions and says whether the chain verifies;
/// after a row is altered it says so.
async fn audit_page(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .with_staff("sun.auditor", Role::Auditor)
        .spawn()
        .await;
    let auditor = app.staff("sun.auditor");
    let page = auditor.browser.get("/admin/audit?action=staff.").await;
    let verdict = page.text("#verdict");
    assert!(verdict.ends_with("哈希链校验通过"), "{verdict}");
    let rows = page.texts("#audit tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("staff:sun.auditor staff.signin")),
        "{rows:?}"
    );
    assert!(!page.has("ca.init"), "filtered by action");
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .execute(app.server.authority.db().pool())
        .await
        .unwrap();
    let page = auditor.browser.get("/admin/audit").await;
    let verdict = page.text("#verdict");
    assert!(
        verdict.starts_with("日志已被篡改：第 2 条起哈希链断开"),
        "{verdict}"
    );
    app.server.stop().await;
}

/// Only a mailed key (在线新办 / 在线补办 by post) is shipped: a change offers no
/// shipping, and an attempt is refused and changes nothing. (Shipping itself is
/// walked in tests/new_and_reissue.rs.)
async fn shipping(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .with_staff("wang.reviewer", Role::Reviewer)
        .with_staff("zhou.operator", Role::Operator)
        .spawn()
        .await;
    let (_holder, app_id) = free_pending(&app, "13812345678").await;
    let reviewer = app.staff("wang.reviewer");
    decide(reviewer, &app, &app_id, "approve", "").await;
    let op = app.staff("zhou.operator");
    let page = op
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    assert!(
        !page.has("登记发货") && !page.has("生成写入码"),
        "a change is not mailed: {}",
        page.html
    );
    let before = desk_snapshot(&app).await;
    for (action, fields) in [
        (
            "ship",
            &[("carrier", "顺丰速运"), ("tracking_no", "SF1234567890")][..],
        ),
        ("pickup-code", &[][..]),
    ] {
        let r = op
            .browser
            .post(
                &page,
                &format!("/admin/applications/{app_id}/{action}"),
                fields,
            )
            .await;
        assert!(r.status == 409 || r.status == 404, "{action}: {}", r.html);
        assert_eq!(desk_snapshot(&app).await, before, "{action}");
    }
    app.server.stop().await;
}

on_both_databases!(
    paid_change_approved,
    return_and_reject,
    four_eyes,
    concurrent_approvals,
    cancelled_meanwhile,
    staff_sign_in,
    roles_on_every_route,
    revoke_from_the_back_office,
    finance_desk,
    audit_page,
    shipping,
);
