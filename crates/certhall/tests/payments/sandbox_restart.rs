//! The in-process sandbox gateway keeps its trades (issue 17, finding 4): a
//! server killed right after a holder paid at the sandbox's cashier, before
//! any notify, is restarted, and the order ends PAID (the restarted sandbox
//! knows the trade was paid; the server's poll finds it).

use std::time::Duration;

use common::TestApp;
use common::flow::to_method;
use domain::Business;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_survives_a_crash_of_the_sandbox() {
    let app = TestApp::new().priced(Business::Change, 100).spawn().await;
    let (b, _, order_id, method) = to_method(&app, "13812345678").await;
    let cashier = b
        .post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    assert_eq!(cashier.text("h1"), "支付宝收银台（沙箱）");
    let no = app
        .text(&format!(
            "SELECT out_trade_no FROM orders WHERE id = '{order_id}'"
        ))
        .await;
    let settings = app.settings.clone();
    let config = app.path("restart.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &config,
        format!(
            "[payment]\njobs_seconds = 1\npoll_seconds = 1\nsandbox_listen = \"127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    app.server.stop().await;

    // The server comes back and dies right after the holder pays at its
    // sandbox, before the notify.
    let mut dying = common::serve_process(&settings, &config, Some("sandbox.paid"));
    let cashier = format!("http://127.0.0.1:{port}/alipay/cashier/{no}/pay");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The sandbox may not listen yet: knock until the payment goes through
    // (the process then dies under the request).
    let reached = common::eventually(Duration::from_secs(20), || async {
        match http.post(&cashier).send().await {
            Ok(r) => r.status().is_redirection(),
            Err(e) => !e.is_connect(),
        }
    })
    .await;
    assert!(reached.is_some(), "the sandbox never took the payment");
    assert!(
        common::died_within(&mut dying, Duration::from_secs(10)),
        "the server did not die at the fault"
    );
    let db = store::Db::connect(&settings.database_url).await.unwrap();
    let state = || async {
        let (s,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT state FROM orders WHERE id = '{order_id}'"
        )))
        .fetch_one(db.pool())
        .await
        .unwrap();
        s
    };
    assert_eq!(state().await, "OPEN", "nothing was booked before the crash");

    // Restarted: the order ends paid.
    let mut child = common::serve_process(&settings, &config, None);
    let paid = common::eventually(Duration::from_secs(30), || async {
        state().await == "PAID"
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        paid.is_some(),
        "the order did not end PAID after the restart"
    );
    db.close().await;
}
