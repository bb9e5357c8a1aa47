//! 找回密码 from the portal, on both databases: a holder signed in with the
//! mobile reserved for a key sees it in 个人中心 (someone else does not, and
//! cannot start a reset for it), starts a reset there; with review on, it waits
//! for a reviewer, who approves it; the assistant (a fresh SMS code to the same
//! mobile) sets the new PIN; 个人中心 shows the reset done.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::assistant::{escrow, out, run_with};
use common::browser::Browser;
use common::holder;
use testkit::openssl::KeyKind;
use testkit::softhsm::{PIN, Token as Usb};
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

async fn requests(app: &TestApp) -> String {
    let mut out = String::new();
    for sql in [
        "SELECT COUNT(*) FROM unlock_requests",
        "SELECT COUNT(*) FROM audit_log",
    ] {
        out.push_str(&format!("{sql} = {}\n", app.scalar(sql).await));
    }
    out
}

async fn unlock_from_the_portal(backend: Backend) {
    let clock = Arc::new(domain::FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .configure(|s| s.portal.unlock_review = true)
        .with_staff("wang.reviewer", domain::Role::Reviewer)
        .spawn()
        .await;
    let h = holder::enterprise(&app, "h1", KeyKind::P256).await;
    let usb = Usb::new("holder-key");
    usb.import(&h.key, &h.cert);
    let serial = escrow(&app, &usb, MOBILE).await;
    let reviewer = app.staff("wang.reviewer");

    // The business page says how.
    let page = Browser::new(&app.base).get("/selfservice/unlock").await;
    let lead = page.text("main section.panel p");
    assert!(lead.contains("预留手机"), "{lead}");
    let steps = page.texts(".howto li");
    assert!(
        steps
            .iter()
            .any(|s| s.contains("certhall-assistant unlock")),
        "{steps:?}"
    );
    assert!(page.text("#my-tokens").contains("我的证书介质"));

    // Someone else does not see the key and cannot start a reset for it.
    let other = Browser::new(&app.base);
    let their_me = other
        .sign_in(&app.settings.data_dir, "13912345678", "/me")
        .await;
    assert!(!their_me.has(&serial), "{}", their_me.html);
    let before = requests(&app).await;
    let refused = other
        .post(&their_me, &format!("/me/tokens/{serial}/unlock"), &[])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.html);
    assert_eq!(requests(&app).await, before);

    // The holder of the reserved mobile starts it: under review.
    let b = Browser::new(&app.base);
    let me = b.sign_in(&app.settings.data_dir, MOBILE, "/me").await;
    let token = format!("#tokens #token-{serial}");
    assert_eq!(me.texts(&format!("{token} td"))[1], "138****5678");
    let filed = b
        .post(&me, &format!("/me/tokens/{serial}/unlock"), &[])
        .await;
    assert_eq!(filed.text(&format!("{token} .badge")), "待审核");
    assert!(
        !filed.shows(&format!("#unlock-{serial}"))
            && !filed.has(&format!("id=\"unlock-{serial}\"")),
        "no second request"
    );
    // The assistant waits for the reviewer too (a minute after the sign-in
    // code: one SMS a minute to a number).
    clock.advance(Duration::from_secs(61));
    let waiting = run_with(&usb, &app, &["unlock"], "000000\n654321\n", None).await;
    assert!(
        out(&waiting).contains("等待工作人员审核"),
        "{}",
        out(&waiting)
    );

    // Approved in the back office; the holder is told where to finish.
    common::staff::approve_first_unlock(reviewer).await;
    let me = b.get("/me").await;
    assert_eq!(me.text(&format!("{token} .badge")), "已批准");
    let note = me.text(&format!("{token} .token-note"));
    assert!(
        note.contains("请插入 U 盾，在证书助手中点击“找回密码”完成"),
        "{note}"
    );

    // The assistant: a fresh code to the same mobile (the one sent while the
    // request waited has run out), the new PIN.
    clock.advance(Duration::from_secs(6 * 60));
    let o = run_with(&usb, &app, &["unlock"], "000000\n654321\n", None).await;
    assert!(out(&o).contains("验证码不正确"), "{}", out(&o));
    let code = common::browser::last_code(&app.settings.data_dir, MOBILE);
    let o = run_with(&usb, &app, &["unlock"], &format!("{code}\n654321\n"), None).await;
    assert!(out(&o).contains("PIN 已重置"), "{}", out(&o));
    let old = run_with(
        &usb,
        &app,
        &["status", "--online"],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert!(out(&old).contains("PIN 不正确"), "{}", out(&old));

    // 个人中心: done, with the time, and a new reset may start.
    let me = b.get("/me").await;
    assert_eq!(me.text(&format!("{token} .badge")), "已完成");
    let note = me.text(&format!("{token} .token-note"));
    assert!(note.contains("最近一次找回密码"), "{note}");
    assert!(
        me.shows(&format!("{token} button#unlock-{serial}")),
        "a new reset may start: {}",
        me.text(&token)
    );
    app.server.stop().await;
}

on_both_databases!(unlock_from_the_portal);
