//! The paid change flow of chapter 二 (图 2.10–2.14) through the sandbox gateway,
//! with each channel, ending in 待审核 with a paid order and an invoice PDF; and
//! the refund of a paid application rejected before issuance.

use std::process::Command;
use std::time::Duration;

use common::TestApp;
use common::browser::{Browser, Page};
use common::flow::to_method;
use domain::Business;
use testkit::{Backend, on_both_databases};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn text(app: &TestApp, sql: &str) -> String {
    app.text(sql).await
}

fn sandbox(app: &TestApp) -> String {
    app.server
        .sandbox
        .as_ref()
        .expect("the in-process sandbox runs")
        .base
        .clone()
}

/// After payment: 个人中心 says 待审核, the order is paid once, and the invoice PDF
/// (read with pdftotext) names the buyer, the amount and its number.
async fn paid_and_invoiced(
    app: &TestApp,
    b: &Browser,
    app_id: &str,
    order_id: &str,
    channel: &str,
) {
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "待审核");
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline
            .iter()
            .any(|l| l.contains(&format!("支付成功（{channel}）"))),
        "{timeline:?}"
    );
    assert_eq!(
        text(
            app,
            &format!("SELECT state FROM orders WHERE id = '{order_id}'")
        )
        .await,
        "PAID"
    );
    assert_eq!(
        scalar(
            app,
            &format!("SELECT COUNT(*) FROM ledger WHERE order_id = '{order_id}'")
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.received'"
        )
        .await,
        1
    );
    // The invoice is drawn right after the payment is booked, so a page that saw
    // the payment may be a moment ahead of it.
    // The invoice is drawn right after the payment is booked, so a page that saw
    // the payment may be a moment ahead of it.
    let sql = format!("SELECT COUNT(*) FROM invoices WHERE order_id = '{order_id}'");
    let issued = common::eventually(Duration::from_secs(10), || async {
        scalar(app, &sql).await == 1
    })
    .await;
    assert!(issued.is_some(), "no invoice for the paid order");
    let number = text(
        app,
        &format!("SELECT number FROM invoices WHERE order_id = '{order_id}'"),
    )
    .await;
    let pdf = b
        .client
        .get(format!("{}/pay/{order_id}/invoice.pdf", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let path = app.path(&format!("{order_id}.pdf"));
    std::fs::write(&path, pdf.bytes().await.unwrap()).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let t = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "合肥新名科技有限公司",
        "91110108551385082Q",
        "¥100.00",
        "壹佰元整",
        number.as_str(),
    ] {
        assert!(
            t.contains(needle),
            "{needle} missing from the invoice:\n{t}"
        );
    }
    // …and it went to the invoice address (the mail outbox without SMTP). The
    // mail is sent after the invoice is made, and written to a temporary file
    // first: wait for the one finished `.eml`.
    let outbox = app.settings.data_dir.join("outbox/mail");
    let mails = || {
        std::fs::read_dir(&outbox)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    common::eventually(Duration::from_secs(10), || async { !mails().is_empty() }).await;
    let mails = mails();
    assert_eq!(mails.len(), 1);
    let eml = std::fs::read_to_string(mails[0].path()).unwrap();
    assert!(
        eml.contains("To: finance@example.com") && eml.contains("application/pdf"),
        "{eml}"
    );
}

async fn alipay_flow(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, method) = to_method(&app, "13812345678").await;
    // 支付宝: the browser goes to the (sandbox) cashier…
    let cashier = b
        .post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    assert!(cashier.url.starts_with(&sandbox(&app)), "{}", cashier.url);
    assert_eq!(cashier.text("h1"), "支付宝收银台（沙箱）");
    assert_eq!(cashier.text(".amount"), "¥100.00");
    // …pays, and comes back to the success page (图 2.14).
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let done = b
        .client
        .post(format!("{}/alipay/cashier/{no}/pay", sandbox(&app)))
        .send()
        .await
        .unwrap();
    let done = Page {
        status: done.status().as_u16(),
        url: done.url().to_string(),
        html: done.text().await.unwrap(),
    };
    assert!(
        done.url.ends_with(&format!("/pay/{order_id}/success")),
        "{}",
        done.url
    );
    assert_eq!(done.text("#result"), "支付成功");
    done.assert_reads(".facts dt", "发票号码");
    // The notify arrives too, and changes nothing more.
    common::eventually(Duration::from_secs(5), || async {
        app.server
            .sandbox
            .as_ref()
            .unwrap()
            .state
            .delivered
            .lock()
            .unwrap()
            .iter()
            .any(|d| d.1 == no)
    })
    .await
    .expect("the sandbox's notify was acknowledged");
    paid_and_invoiced(&app, &b, &app_id, &order_id, "支付宝").await;
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

async fn wechat_flow(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, method) = to_method(&app, "13812345678").await;
    // Choosing 微信支付 is a POST (issue 16, finding 9): the QR page itself
    // (a GET) changes nothing, and without the choice it sends the holder to
    // choose.
    let other = to_method(&app, "13912345678").await;
    let before = app.pay_snapshot().await;
    let not_chosen = other.0.get(&format!("/pay/{}/wechat", other.2)).await;
    assert!(not_chosen.path().ends_with("/method"), "{}", not_chosen.url);
    assert_eq!(before, app.pay_snapshot().await);
    let qr = b
        .post(&method, &format!("/pay/{order_id}/wechat"), &[])
        .await;
    assert_eq!(qr.status, 200, "{}", qr.html);
    assert!(qr.shows("#qr svg"), "{}", qr.html);
    qr.assert_reads(".qr-panel p", "请使用微信扫一扫完成支付。");
    // The QR code is the gateway's code_url.
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let code_url = format!("{}/wechat/cashier/{no}", sandbox(&app));
    let expected = qrcode::QrCode::new(code_url.as_bytes())
        .unwrap()
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    let expected = expected.trim_start_matches(r#"<?xml version="1.0" standalone="yes"?>"#);
    assert!(
        qr.html.contains(expected),
        "the page's QR code encodes {code_url}"
    );
    // The sandbox's cashier is also a link, for trying the flow without a phone.
    assert_eq!(qr.attr(".qr-panel a[target=_blank]", "href"), code_url);
    assert_eq!(qr.text(".qr-panel a[target=_blank]"), code_url);
    // The phone pays; the computer's page moves on by itself.
    let phone = reqwest::Client::new();
    let paid = phone
        .post(format!("{code_url}/pay"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("支付成功"), "{paid}");
    let reached = common::eventually(Duration::from_secs(5), || async {
        b.get(&format!("/pay/{order_id}/wechat"))
            .await
            .path()
            .ends_with("/success")
    })
    .await;
    assert!(
        reached.is_some(),
        "the QR page did not reach the success page"
    );
    paid_and_invoiced(&app, &b, &app_id, &order_id, "微信支付").await;
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

async fn bank_transfer_flow(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, _) = to_method(&app, "13812345678").await;
    let page = b.get(&format!("/pay/{order_id}/bank")).await;
    page.assert_reads(".facts dd", "沙箱银行合肥分行");
    page.assert_reads(".facts dt", "附言（订单号）");
    let sent = b
        .upload(
            &page,
            &format!("/pay/{order_id}/bank"),
            "回单.pdf",
            common::holder::pdf(),
        )
        .await;
    assert_eq!(sent.notice(), "转账凭证已提交，等待财务确认。");
    assert_eq!(
        b.get(&format!("/me/applications/{app_id}")).await.status(),
        "待支付"
    );
    // Finance confirms the receipt (the back office's action).
    let settled = app
        .server
        .ra
        .confirm_bank_transfer(&order_id, "staff:finance")
        .await
        .unwrap();
    assert_eq!(settled, ra::payments::Settled::Paid);
    paid_and_invoiced(&app, &b, &app_id, &order_id, "对公转账").await;
    // Confirming again is refused and changes nothing.
    assert!(
        app.server
            .ra
            .confirm_bank_transfer(&order_id, "staff:finance")
            .await
            .is_err()
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM ledger").await, 1);
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// 审核不通过 after payment: refunded in full through the channel before issuance.
async fn rejection_refunds(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, method) = to_method(&app, "13812345678").await;
    b.post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    b.client
        .post(format!("{}/alipay/cashier/{no}/pay", sandbox(&app)))
        .send()
        .await
        .unwrap();
    let paid = common::eventually(Duration::from_secs(10), || async {
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'"),
        )
        .await
            == "PENDING_REVIEW"
    })
    .await;
    assert!(paid.is_some(), "the payment did not arrive");
    reject(&app, &app_id, "营业执照与申请信息不一致").await;
    let refunded = common::eventually(Duration::from_secs(5), || async {
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'"),
        )
        .await
            == "REFUNDED"
    })
    .await;
    assert!(refunded.is_some(), "the refund did not complete");
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "已退款");
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline
            .iter()
            .any(|l| l.contains("营业执照与申请信息不一致"))
            && timeline.iter().any(|l| l.contains("已退款 ¥100.00")),
        "{timeline:?}"
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM ledger WHERE order_id = '{order_id}'"
            )
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.refunded'"
        )
        .await,
        1
    );
    // The gateway agrees: the trade is closed by the full refund.
    let trade = app
        .server
        .ra
        .payments()
        .alipay
        .as_ref()
        .unwrap()
        .query(&no, app.server.ra.now_ms())
        .await
        .unwrap();
    assert_eq!(trade.trade_status, "TRADE_CLOSED");
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// Sixty bank-transfer refunds wait for finance (older than anything else);
/// a rejected 支付宝 payment is still refunded at once, and the job's batch is
/// never filled by what it cannot act on.
async fn bank_refunds_waiting_for_finance_hold_up_nothing(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, method) = to_method(&app, "13812345678").await;
    b.post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    b.client
        .post(format!("{}/alipay/cashier/{no}/pay", sandbox(&app)))
        .send()
        .await
        .unwrap();
    // The backlog: another application of the holder's, paid sixty times by
    // bank transfer (long ago) and refunded by hand some day.
    let holder = text(
        &app,
        &format!("SELECT holder_id FROM applications WHERE id = '{app_id}'"),
    )
    .await;
    let pool = app.server.authority.db().pool();
    for sql in [
        format!(
            "INSERT INTO applications (id, holder_id, business, cert_type, state, form, price_fen, created_at, updated_at, version) \
             VALUES ('backlog', '{holder}', 'change', 'enterprise', 'REFUNDING', '{{}}', 10000, 1, 1, 1)"
        ),
        "INSERT INTO orders (id, out_trade_no, application_id, holder_id, amount_fen, subject, state, channel, created_at, expires_at, updated_at) \
         SELECT 'backlog', 'CHbacklog', 'backlog', holder_id, 10000, 'x', 'CANCELLED', 'bank', 1, 2, 1 FROM applications WHERE id = 'backlog'".to_string(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
    }
    for i in 0..60 {
        for sql in [
            format!(
                "INSERT INTO ledger (id, order_id, kind, channel, amount_fen, gateway_ref, at, note) \
                 VALUES ('bl{i}', 'backlog', 'payment', 'bank', 10000, 'receipt{i}', {i}, 'x')"
            ),
            format!(
                "INSERT INTO refunds (id, order_id, payment_id, channel, out_refund_no, amount_fen, reason, state, attempts, next_attempt_at, created_at) \
                 VALUES ('br{i}', 'backlog', 'bl{i}', 'bank', 'RFbacklog{i}', 10000, 'x', 'PENDING', 0, 0, {i})"
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
    }
    reject(&app, &app_id, "营业执照与申请信息不一致").await;
    let refunded = common::eventually(Duration::from_secs(10), || async {
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'"),
        )
        .await
            == "REFUNDED"
    })
    .await;
    assert!(
        refunded.is_some(),
        "the 支付宝 refund waited behind the bank ones"
    );
    // The job leaves the bank refunds to finance: none was tried.
    app.server.ra.run_payment_jobs().await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM refunds WHERE channel = 'bank' AND state = 'PENDING' AND attempts = 0"
        )
        .await,
        60
    );
    app.server.stop().await;
}

/// A reviewer rejects the application in the back office.
async fn reject(app: &TestApp, app_id: &str, reason: &str) {
    let reviewer = common::staff::staff(app, "wang.reviewer", "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    let version = scalar(
        app,
        &format!("SELECT version FROM applications WHERE id = '{app_id}'"),
    )
    .await
    .to_string();
    let rejected = reviewer
        .browser
        .post(
            &desk,
            &format!("/admin/applications/{app_id}/reject"),
            &[("version", &version), ("reason", reason)],
        )
        .await;
    assert_eq!(
        rejected.notice(),
        "已审核不通过，已短信通知申请人；如已支付将原路退款"
    );
}

/// One order paid twice: 微信支付's QR code was open when the holder paid with
/// 支付宝, and then scanned it too. The second payment goes back through
/// 微信支付 at once; when the application is rejected, the first goes back
/// through 支付宝. Each gateway's own records agree, and the holder ends with
/// everything they paid.
async fn paid_twice_each_payment_goes_back_its_own_way(backend: Backend) {
    use payment::sim::Channel;
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, order_id, method) = to_method(&app, "13812345678").await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    // The QR code is shown (the gateway's native trade exists)…
    let qr = b
        .post(&method, &format!("/pay/{order_id}/wechat"), &[])
        .await;
    qr.assert_reads(".qr-panel p", "请使用微信扫一扫完成支付。");
    // …then the holder pays with 支付宝 instead.
    b.post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let back = b
        .client
        .post(format!("{}/alipay/cashier/{no}/pay", sandbox(&app)))
        .send()
        .await
        .unwrap();
    assert!(back.url().path().ends_with("/success"), "{}", back.url());
    // The phone pays the QR code as well.
    let paid = reqwest::Client::new()
        .post(format!("{}/wechat/cashier/{no}/pay", sandbox(&app)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("支付成功"), "{paid}");
    let sim = &app.server.sandbox.as_ref().unwrap().state;
    let wechat_back = common::eventually(Duration::from_secs(10), || async {
        sim.trade(Channel::WeChat, &no)
            .is_some_and(|t| t.refunded_fen == 10_000)
    })
    .await;
    assert!(
        wechat_back.is_some(),
        "the 微信支付 payment was not refunded through 微信支付: {:?}",
        sim.trade(Channel::WeChat, &no)
    );
    assert_eq!(
        sim.trade(Channel::Alipay, &no).unwrap().refunded_fen,
        0,
        "the 支付宝 payment stays: it pays for the application"
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'")
        )
        .await,
        "PENDING_REVIEW"
    );
    common::ledger::assert_invariant(&app).await;

    // Rejected: the 支付宝 payment goes back through 支付宝.
    reject(&app, &app_id, "营业执照与申请信息不一致").await;
    let refunded = common::eventually(Duration::from_secs(10), || async {
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'"),
        )
        .await
            == "REFUNDED"
    })
    .await;
    assert!(
        refunded.is_some(),
        "the application did not reach 已退款: {}",
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'")
        )
        .await
    );
    assert_eq!(
        sim.trade(Channel::Alipay, &no).unwrap().refunded_fen,
        10_000
    );
    assert_eq!(
        sim.trade(Channel::WeChat, &no).unwrap().refunded_fen,
        10_000
    );
    let ledger: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT kind, channel, amount_fen FROM ledger WHERE order_id = '{order_id}' ORDER BY kind, channel"
    )))
    .fetch_all(app.server.authority.db().pool())
    .await
    .unwrap();
    assert_eq!(
        ledger,
        vec![
            ("payment".into(), "alipay".into(), 10_000),
            ("payment".into(), "wechat".into(), 10_000),
            ("refund".into(), "alipay".into(), -10_000),
            ("refund".into(), "wechat".into(), -10_000),
        ]
    );
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "已退款");
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

on_both_databases!(
    alipay_flow,
    wechat_flow,
    bank_transfer_flow,
    rejection_refunds,
    paid_twice_each_payment_goes_back_its_own_way,
    bank_refunds_waiting_for_finance_hold_up_nothing
);
