//! An invoice is mailed once, even when the server dies between sending the
//! mail and recording it (issue 17, finding 3): the next start sends it again
//! with the same Message-ID, which the file outbox stores under that name, so
//! there is still one message; the invoice ends mailed.

use std::time::Duration;

use common::TestApp;
use common::flow::to_method;
use domain::Business;

fn mails(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_interrupted_after_sending_is_sent_once() {
    // The mail server is down while the order is paid: the invoice waits.
    let app = TestApp::new()
        .priced(Business::Change, 100)
        .configure(|s| s.mail.smtp_url = Some("smtp://127.0.0.1:1".into()))
        .spawn()
        .await;
    let (b, _, order_id, _) = to_method(&app, "13812345678").await;
    let page = b.get(&format!("/pay/{order_id}/bank")).await;
    b.upload(
        &page,
        &format!("/pay/{order_id}/bank"),
        "回单.pdf",
        common::holder::pdf(),
    )
    .await;
    app.server
        .ra
        .confirm_bank_transfer(&order_id, "staff:finance")
        .await
        .unwrap();
    let issued = common::eventually(Duration::from_secs(10), || async {
        app.scalar("SELECT COUNT(*) FROM invoices WHERE mail_attempts > 0")
            .await
            == 1
    })
    .await;
    assert!(issued.is_some(), "the invoice was not tried");
    let settings = app.settings.clone();
    let config = app.path("mail.toml");
    std::fs::write(&config, "[payment]\njobs_seconds = 1\n").unwrap();
    app.server.stop().await;
    let db = store::Db::connect(&settings.database_url).await.unwrap();
    // Due now rather than after the backoff.
    sqlx::query("UPDATE invoices SET mail_next_at = 0")
        .execute(db.pool())
        .await
        .unwrap();
    let outbox = settings.data_dir.join("outbox").join("mail");

    // The mail server is back (the file outbox here); the server dies right
    // after the message is written, before it records the sending.
    let mut dying = common::serve_process(&settings, &config, Some("invoice.mail.sent"));
    assert!(
        common::died_within(&mut dying, Duration::from_secs(30)),
        "the server did not die at the fault"
    );
    assert_eq!(mails(&outbox).len(), 1, "the message was written once");
    let (mailed,): (Option<i64>,) = sqlx::query_as("SELECT mailed_at FROM invoices")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(mailed.is_none(), "the sending was not recorded");

    // Restarted: once its claim runs out, the invoice goes again, with the
    // same Message-ID, and is recorded; still one message.
    sqlx::query("UPDATE invoices SET mail_next_at = 0")
        .execute(db.pool())
        .await
        .unwrap();
    let mut child = common::serve_process(&settings, &config, None);
    let done = common::eventually(Duration::from_secs(30), || async {
        let (m,): (Option<i64>,) = sqlx::query_as("SELECT mailed_at FROM invoices")
            .fetch_one(db.pool())
            .await
            .unwrap();
        m.is_some()
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        done.is_some(),
        "the invoice was not mailed after the restart"
    );
    let files = mails(&outbox);
    assert_eq!(files.len(), 1, "one message, not two: {files:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    let (id,): (String,) = sqlx::query_as("SELECT id FROM invoices")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(
        eml.contains(&format!("Message-ID: <invoice.{id}@")),
        "{eml}"
    );
    db.close().await;
}
