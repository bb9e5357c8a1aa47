//! The payment centre's bad inputs: forged, altered or replayed notifies, the
//! return URL without a payment, double clicks, expired orders, invalid
//! 纳税人识别号. Each is refused (and logged), and the order, the application and
//! the ledger stay as they were. Also: expiry, a late payment refunded by itself,
//! and invoices mailed over a real SMTP server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::flow::to_method;
use common::holder::CODE;
use domain::Business;
use domain::FixedClock;
use payment::keys::PrivateKey;
use testkit::{Backend, on_both_databases};

async fn text(app: &TestApp, sql: &str) -> String {
    app.text(sql).await
}

/// The first column of the first row, if there is a row yet.
async fn text_opt(app: &TestApp, sql: &str) -> Option<String> {
    sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_optional(app.server.authority.db().pool())
        .await
        .unwrap()
        .map(|(s,)| s)
}

fn sandbox_key(app: &TestApp, name: &str) -> PrivateKey {
    PrivateKey::from_text(
        &std::fs::read_to_string(app.settings.data_dir.join(format!("paysim/{name}.pem"))).unwrap(),
    )
    .unwrap()
}

/// An Alipay notify as the gateway would send it, signed with `key`.
fn alipay_notify(key: &PrivateKey, fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    p.insert("sign_type".into(), "RSA2".into());
    let content = payment::alipay::sign_content(&p, &["sign", "sign_type"]);
    p.insert("sign".into(), key.sign_base64(content.as_bytes()).unwrap());
    p
}

async fn post_alipay(app: &TestApp, p: &BTreeMap<String, String>) -> String {
    app.http
        .post(format!("{}/pay/notify/alipay", app.base))
        .form(p)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn alipay_notifies(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, _, order_id, method) = to_method(&app, "13812345678").await;
    b.post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let gateway = sandbox_key(&app, "alipay");
    let genuine = [
        ("app_id", common::setup_app_id()),
        ("out_trade_no", no.as_str()),
        ("trade_no", "2026112422001400001"),
        ("total_amount", "100.00"),
        ("trade_status", "TRADE_SUCCESS"),
    ];
    let before = app.pay_snapshot().await;
    let (stranger, _) = PrivateKey::generate().unwrap();
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = genuine.to_vec();
        for (k, v) in changes {
            f.retain(|(fk, _)| fk != k);
            f.push((k, v));
        }
        f
    };
    for (label, notify) in [
        ("bad signature", alipay_notify(&stranger, &genuine)),
        (
            "wrong app id",
            alipay_notify(&gateway, &with(&[("app_id", "2021999999999999")])),
        ),
        (
            "different amount",
            alipay_notify(&gateway, &with(&[("total_amount", "1.00")])),
        ),
        (
            "unknown order",
            alipay_notify(
                &gateway,
                &with(&[("out_trade_no", "CH00000000000000000000")]),
            ),
        ),
        (
            "not paid",
            alipay_notify(&gateway, &with(&[("trade_status", "WAIT_BUYER_PAY")])),
        ),
    ] {
        assert_eq!(post_alipay(&app, &notify).await, "fail", "{label}");
        assert_eq!(
            before,
            app.pay_snapshot().await,
            "{label} changed something"
        );
    }
    // An altered field under a genuine signature.
    let mut altered = alipay_notify(&gateway, &genuine);
    altered.insert("total_amount".into(), "0.01".into());
    assert_eq!(post_alipay(&app, &altered).await, "fail");
    assert_eq!(before, app.pay_snapshot().await);

    // The genuine notify books the payment; the same notify again changes nothing.
    let real = alipay_notify(&gateway, &genuine);
    assert_eq!(post_alipay(&app, &real).await, "success");
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM orders WHERE id = '{order_id}'")
        )
        .await,
        "PAID"
    );
    let after = app.pay_snapshot().await;
    assert_eq!(
        post_alipay(&app, &real).await,
        "success",
        "a replay is acknowledged"
    );
    assert_eq!(
        after,
        app.pay_snapshot().await,
        "a replay changed something"
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// A WeChat notify: `tamper` spoils it after encryption, before signing.
fn wechat_notify(
    app: &TestApp,
    t: serde_json::Value,
    tamper: &str,
    ts: i64,
) -> (Vec<(&'static str, String)>, String) {
    let key: [u8; 32] = std::fs::read_to_string(app.settings.data_dir.join("paysim/apiv3.key"))
        .unwrap()
        .trim()
        .as_bytes()
        .try_into()
        .unwrap();
    let nonce = "0123456789ab";
    let mut ct =
        payment::wechat::encrypt_resource(&key, nonce, "transaction", t.to_string().as_bytes())
            .unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    match tamper {
        "ciphertext" => {
            let mut raw = b64.decode(&ct).unwrap();
            raw[3] ^= 0x40;
            ct = b64.encode(raw);
        }
        "tag" => {
            let mut raw = b64.decode(&ct).unwrap();
            let last = raw.len() - 1;
            raw[last] ^= 0x01;
            ct = b64.encode(raw);
        }
        _ => {}
    }
    let body = serde_json::json!({
        "id": "n1", "create_time": "2026-11-24T13:00:00+08:00", "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": { "original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ct, "associated_data": "transaction", "nonce": nonce },
    })
    .to_string();
    let signer = if tamper == "signature" {
        PrivateKey::generate().unwrap().0
    } else {
        sandbox_key(app, "platform")
    };
    let ts = ts.to_string();
    let sig = signer
        .sign_base64(payment::wechat::response_message(&ts, "N1", &body).as_bytes())
        .unwrap();
    (
        vec![
            ("wechatpay-timestamp", ts),
            ("wechatpay-nonce", "N1".to_string()),
            ("wechatpay-signature", sig),
            (
                "wechatpay-serial",
                certhall::setup::SANDBOX_PLATFORM_SERIAL.to_string(),
            ),
        ],
        body,
    )
}

async fn post_wechat(
    app: &TestApp,
    (headers, body): &(Vec<(&'static str, String)>, String),
) -> u16 {
    let mut r = app
        .http
        .post(format!("{}/pay/notify/wechat", app.base))
        .body(body.clone());
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn wechat_notifies(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, _, order_id, method) = to_method(&app, "13812345678").await;
    b.post(&method, &format!("/pay/{order_id}/wechat"), &[])
        .await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let now = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let tx = |mchid: &str, total: i64| {
        serde_json::json!({
            "appid": certhall::setup::SANDBOX_APPID, "mchid": mchid, "out_trade_no": no,
            "transaction_id": "4200000001", "trade_state": "SUCCESS", "amount": { "total": total, "currency": "CNY" },
        })
    };
    let before = app.pay_snapshot().await;
    for (label, n) in [
        (
            "tampered ciphertext",
            wechat_notify(
                &app,
                tx(certhall::setup::SANDBOX_MCHID, 10_000),
                "ciphertext",
                now,
            ),
        ),
        (
            "tampered tag",
            wechat_notify(&app, tx(certhall::setup::SANDBOX_MCHID, 10_000), "tag", now),
        ),
        (
            "bad signature",
            wechat_notify(
                &app,
                tx(certhall::setup::SANDBOX_MCHID, 10_000),
                "signature",
                now,
            ),
        ),
        (
            "stale (replayed later)",
            wechat_notify(
                &app,
                tx(certhall::setup::SANDBOX_MCHID, 10_000),
                "",
                now - 3600,
            ),
        ),
        (
            "wrong merchant",
            wechat_notify(&app, tx("1900000099", 10_000), "", now),
        ),
        (
            "different amount",
            wechat_notify(&app, tx(certhall::setup::SANDBOX_MCHID, 1), "", now),
        ),
    ] {
        assert_eq!(post_wechat(&app, &n).await, 400, "{label}");
        assert_eq!(
            before,
            app.pay_snapshot().await,
            "{label} changed something"
        );
    }
    let real = wechat_notify(&app, tx(certhall::setup::SANDBOX_MCHID, 10_000), "", now);
    assert_eq!(post_wechat(&app, &real).await, 204);
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM orders WHERE id = '{order_id}'")
        )
        .await,
        "PAID"
    );
    let after = app.pay_snapshot().await;
    assert_eq!(
        post_wechat(&app, &real).await,
        204,
        "a replay is acknowledged"
    );
    assert_eq!(after, app.pay_snapshot().await);
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

async fn holder_refusals(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, page) = common::flow::to_materials(&app, "13812345678").await;
    let order = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    let form = b.get(&format!("/pay/{order_id}/invoice")).await;

    // An invalid 纳税人识别号: the error next to the field, nothing saved.
    let before = app.pay_snapshot().await;
    let bad = b
        .post(
            &form,
            &format!("/pay/{order_id}/invoice"),
            &[
                ("title_type", "company"),
                ("title", "合肥新名科技有限公司"),
                ("tax_id", "91110108551385082A"),
                ("email", "finance@example.com"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("tax_id"), "校验位不正确");
    assert_eq!(bad.attr("#tax_id", "value"), "91110108551385082A");
    assert_eq!(before, app.pay_snapshot().await);

    let saved = b
        .post(
            &form,
            &format!("/pay/{order_id}/invoice"),
            &[
                ("title_type", "company"),
                ("title", "合肥新名科技有限公司"),
                ("tax_id", CODE),
                ("email", "finance@example.com"),
            ],
        )
        .await;
    // 提交并支付 without the agreements: refused by the server too.
    let before = app.pay_snapshot().await;
    let unticked = b
        .post(
            &saved,
            &format!("/pay/{order_id}/agree"),
            &[("payment_terms", "1")],
        )
        .await;
    assert_eq!(unticked.status, 400);
    assert_eq!(
        unticked.text("#pay-error"),
        "请阅读并同意《在线缴费协议》和《电子认证证书服务条款》"
    );
    assert_eq!(before, app.pay_snapshot().await);

    // A double click on 提交并支付: one order, one acceptance.
    let first = b
        .post(
            &saved,
            &format!("/pay/{order_id}/agree"),
            &[("payment_terms", "1"), ("service_terms", "1")],
        )
        .await;
    let once = app.pay_snapshot().await;
    let second = b
        .post(
            &saved,
            &format!("/pay/{order_id}/agree"),
            &[("payment_terms", "1"), ("service_terms", "1")],
        )
        .await;
    assert!(first.path().ends_with("/method") && second.path().ends_with("/method"));
    assert_eq!(once, app.pay_snapshot().await);

    // The return URL without a payment: the gateway is asked, nothing is booked.
    b.post(&second, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    let no = text(
        &app,
        &format!("SELECT out_trade_no FROM orders WHERE id = '{order_id}'"),
    )
    .await;
    let before = app.pay_snapshot().await;
    let back = b
        .get(&format!(
            "/pay/return/alipay?out_trade_no={no}&trade_no=forged&total_amount=100.00&sign=forged"
        ))
        .await;
    assert!(
        back.path().starts_with(&format!("/pay/{order_id}")),
        "{}",
        back.url
    );
    assert!(
        back.notice().starts_with("尚未收到支付结果"),
        "{}",
        back.notice()
    );
    assert_eq!(back.text("#order-state"), "待支付");
    assert_eq!(before, app.pay_snapshot().await);
    // Another holder's order is not found.
    let other = common::browser::Browser::new(&app.base);
    other
        .sign_in(&app.settings.data_dir, "13999998888", "/me")
        .await;
    assert_eq!(other.get(&format!("/pay/{order_id}")).await.status, 404);
    assert_eq!(
        other
            .get(&format!("/pay/return/alipay?out_trade_no={no}"))
            .await
            .status,
        404
    );
    assert_eq!(before, app.pay_snapshot().await);
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// An order expires unpaid; paying it is refused; money that still arrives for it
/// goes back by itself; 去支付 opens a new order that can be paid.
async fn expiry_and_late_payment(backend: Backend) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .priced(Business::Change, 100)
        .configure(|s| s.payment.order_minutes = 5)
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
    clock.advance(Duration::from_secs(6 * 60));
    app.server.ra.run_payment_jobs().await;
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM orders WHERE id = '{order_id}'")
        )
        .await,
        "EXPIRED"
    );
    let before = app.pay_snapshot().await;
    let page = b.get(&format!("/pay/{order_id}")).await;
    assert_eq!(page.text("#order-state"), "已过期");
    assert_eq!(page.text("#reopen"), "重新发起支付");
    let refused = b.post(&page, &format!("/pay/{order_id}/alipay"), &[]).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error(), "订单已过期，请在个人中心重新发起支付");
    assert_eq!(before, app.pay_snapshot().await);

    // The holder pays the old trade anyway (a cashier tab left open).
    let sandbox = app.server.sandbox.as_ref().unwrap().base.clone();
    b.client
        .post(format!("{sandbox}/alipay/cashier/{no}/pay"))
        .send()
        .await
        .unwrap();
    let refunded = common::eventually(Duration::from_secs(5), || async {
        text_opt(
            &app,
            &format!("SELECT state FROM refunds WHERE order_id = '{order_id}'"),
        )
        .await
        .as_deref()
            == Some("DONE")
    })
    .await;
    assert!(refunded.is_some(), "the late payment was not refunded");
    assert_eq!(
        text(
            &app,
            &format!("SELECT state FROM applications WHERE id = '{app_id}'")
        )
        .await,
        "PENDING_PAYMENT"
    );

    // 个人中心 → 去支付: a new order, paid normally.
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    let new_order = b
        .post(&detail, &format!("/me/applications/{app_id}/pay"), &[])
        .await;
    let new_id = new_order.path().split('/').nth(2).unwrap().to_string();
    assert_ne!(new_id, order_id);
    assert_eq!(new_order.text("#invoice-button"), "电子发票");
    common::flow::pay_with_alipay(&app, &b, &new_id, "合肥新名科技有限公司", "¥100.00").await;
    // Paid once in the end: the late money is back, the new order pays.
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// An e-mail address the mailer cannot use is refused by the invoice form
/// (with its message, nothing saved). One saved before that check (seeded
/// here) is tried once, given up, never retried, and shown to finance; the
/// mail of the next invoice still goes out.
async fn invoice_address_the_mailer_cannot_use(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, page) = common::flow::to_materials(&app, "13812345678").await;
    let order = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    let form = b.get(&format!("/pay/{order_id}/invoice")).await;
    for bad in ["x@a.cn\"><svg/onload=alert(1)>", "<a@b.cn>"] {
        let before = app.pay_snapshot().await;
        let refused = b
            .post(
                &form,
                &format!("/pay/{order_id}/invoice"),
                &[
                    ("title_type", "company"),
                    ("title", "合肥新名科技有限公司"),
                    ("tax_id", CODE),
                    ("email", bad),
                ],
            )
            .await;
        assert_eq!(refused.status, 400, "{bad}");
        assert_eq!(refused.field_error("email"), "邮箱格式不正确", "{bad}");
        assert!(!refused.has("<svg/onload"), "the address is escaped");
        assert_eq!(before, app.pay_snapshot().await, "{bad}");
    }
    // An address saved before the mailer's parser checked the form.
    common::flow::invoice_and_terms(&b, &order_id, "合肥新名科技有限公司").await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET invoice = REPLACE(invoice, 'finance@example.com', '<a@b.cn>') WHERE id = '{order_id}'"
    )))
    .execute(app.server.authority.db().pool())
    .await
    .unwrap();
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
    let given_up = common::eventually(Duration::from_secs(10), || async {
        app.scalar("SELECT COUNT(*) FROM invoices WHERE mail_failed_at IS NOT NULL")
            .await
            == 1
    })
    .await;
    assert!(given_up.is_some(), "the unusable address was not given up");
    for _ in 0..3 {
        app.server.ra.run_payment_jobs().await;
    }
    assert_eq!(
        app.scalar("SELECT mail_attempts FROM invoices").await,
        1,
        "an address that cannot work is not retried"
    );
    let mail_dir = app.settings.data_dir.join("outbox/mail");
    let mails = || std::fs::read_dir(&mail_dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(mails(), 0);
    // Finance sees it.
    let finance = common::staff::staff(&app, "li.finance", "finance", &[]).await;
    let overview = finance.browser.get("/admin/finance").await;
    let sent = overview.texts("#invoices td");
    assert!(
        sent.iter()
            .any(|c| c.starts_with("发送失败，已停止重试：") && c.contains("邮箱地址无法投递")),
        "{sent:?}"
    );
    // Another holder's invoice, with a good address, is mailed.
    let (b2, _, second, _) = common::flow::to_method(&app, "13912345678").await;
    let page = b2.get(&format!("/pay/{second}/bank")).await;
    b2.upload(
        &page,
        &format!("/pay/{second}/bank"),
        "回单.pdf",
        common::holder::pdf(),
    )
    .await;
    app.server
        .ra
        .confirm_bank_transfer(&second, "staff:finance")
        .await
        .unwrap();
    let mailed = common::eventually(Duration::from_secs(10), || async { mails() == 1 }).await;
    assert!(mailed.is_some(), "the good invoice was not mailed");
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

on_both_databases!(
    alipay_notifies,
    wechat_notifies,
    holder_refusals,
    expiry_and_late_payment,
    invoice_address_the_mailer_cannot_use
);

/// A child process that is stopped and reaped even when the test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Invoices go out over SMTP when it is configured (aiosmtpd on loopback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_mail_over_smtp() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let maildir = testkit::temp_dir();
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.path().join(sub)).unwrap();
    }
    let _smtp = KillOnDrop(
        std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
                maildir.path().to_str().unwrap(),
            ])
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test installs it)"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let app = TestApp::new()
        .priced(Business::Change, 100)
        .configure(move |s| s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
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
    let delivered = common::eventually(Duration::from_secs(10), || async {
        std::fs::read_dir(maildir.path().join("new"))
            .map(|d| d.count() == 1)
            .unwrap_or(false)
    })
    .await;
    assert!(delivered.is_some(), "no mail reached the SMTP server");
    let file = std::fs::read_dir(maildir.path().join("new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mail = std::fs::read_to_string(file).unwrap();
    assert!(
        mail.contains("finance@example.com") && mail.contains("application/pdf"),
        "{mail}"
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}
