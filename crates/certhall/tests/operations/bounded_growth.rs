//! Nobody can make the database grow without signing in (issue 16, finding 4):
//! hand-off challenges are not stored until used, and housekeeping deletes
//! sessions, rate-limit events, used challenges, spent links and old SMS codes
//! once they can no longer matter.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::browser::Browser;
use domain::FixedClock;
use testkit::openssl::KeyKind;
use testkit::{Backend, on_both_databases};

const TABLES: &[&str] = &[
    "handoff_challenges",
    "handoff_links",
    "sessions",
    "staff_sessions",
    "rate_events",
    "sms_codes",
    "audit_log",
];

async fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push((*t, app.scalar(&format!("SELECT COUNT(*) FROM {t}")).await));
    }
    out
}

/// Ten thousand challenges from one client: every table as it was.
async fn ten_thousand_challenges(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let before = counts(&app).await;
    let url = format!("{}/api/v1/handoff/challenge", app.base);
    let mut nonces = std::collections::HashSet::new();
    for _ in 0..625 {
        let batch = futures_util::future::join_all((0..16).map(|_| async {
            let r = app.http.post(&url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = r.json().await.unwrap();
            v["nonce"].as_str().unwrap().to_string()
        }))
        .await;
        nonces.extend(batch);
    }
    assert_eq!(nonces.len(), 10_000, "every challenge is new");
    assert_eq!(before, counts(&app).await);
    app.server.stop().await;
}

/// A used challenge is still refused a second time (remembered until it
/// expires), and a forged or altered one is refused without a row.
async fn challenges_are_used_once(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let holder = common::holder::enterprise(&app, "h", KeyKind::P256).await;
    let (nonce, text) = common::holder::challenge(&app).await;
    let sig = common::holder::sign(app.dir.path(), &holder.key, holder.kind, &text);
    let send = |nonce: String, sig: String| {
        let body = serde_json::json!({
            "certificate": std::fs::read_to_string(&holder.cert).unwrap(),
            "nonce": nonce,
            "signature": sig,
            "business": "change",
        });
        let http = app.http.clone();
        let url = format!("{}/api/v1/handoff", app.base);
        async move {
            let r = http.post(url).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let (status, _) = send(nonce.clone(), sig.clone()).await;
    assert_eq!(status, 200);
    let before = counts(&app).await;
    let (status, body) = send(nonce.clone(), sig.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("挑战码无效、已过期或已使用"), "{body}");
    // A nonce this server never made, properly signed by the holder.
    let forged = "AAAAAZ0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let text = format!("certhall-handoff:{forged}");
    let sig = common::holder::sign(app.dir.path(), &holder.key, holder.kind, &text);
    let (status, body) = send(forged.to_string(), sig).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("挑战码无效"), "{body}");
    assert_eq!(before, counts(&app).await);
    app.server.stop().await;
}

/// Two days on, housekeeping has deleted what expired: the holder's sign-in
/// session, its code and rate events, the used challenge and the spent link.
async fn housekeeping_deletes_what_expired(backend: Backend) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let holder = common::holder::enterprise(&app, "h", KeyKind::P256).await;
    let link = common::holder::handoff_link(&app, &holder).await;
    let b = Browser::new(&app.base);
    b.get(&link).await;
    b.sign_in(&app.settings.data_dir, "13812345678", "/handoff/continue")
        .await;
    for t in [
        "handoff_challenges",
        "handoff_links",
        "sessions",
        "rate_events",
        "sms_codes",
    ] {
        assert!(
            app.scalar(&format!("SELECT COUNT(*) FROM {t}")).await > 0,
            "{t} has rows to expire"
        );
    }
    // Nothing has expired yet: housekeeping keeps everything.
    let before = counts(&app).await;
    app.server.ra.housekeep().await.unwrap();
    assert_eq!(before, counts(&app).await);
    clock.advance(Duration::from_secs(2 * 86_400));
    assert!(app.server.ra.housekeep().await.unwrap() > 0);
    for (t, n) in counts(&app).await {
        if t != "audit_log" {
            assert_eq!(n, 0, "{t} still has rows");
        }
    }
    app.server.stop().await;
}

on_both_databases!(
    ten_thousand_challenges,
    challenges_are_used_once,
    housekeeping_deletes_what_expired
);
