//! `certhall paysim` run on its own, and a server configured with the sections it
//! prints, exactly as a production server is configured for the real gateways
//! (no in-process sandbox): both channels pay through it end to end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use certhall::config::Config;
use common::TestApp;
use common::flow::to_method;
use domain::Business;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `certhall paysim` and returns it with the configuration it printed.
fn paysim(data: &std::path::Path) -> (KillOnDrop, String) {
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_certhall"))
            .env_remove("CERTHALL_CONFIG")
            .arg("--data-dir")
            .arg(data)
            .args(["paysim", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("platform_key_file") {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "paysim stopped: {printed}"
        );
        printed.push_str(&line);
    }
    (child, printed)
}

async fn order_no(app: &TestApp, order_id: &str) -> String {
    let (no,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT out_trade_no FROM orders WHERE id = '{order_id}'"
    )))
    .fetch_one(app.server.authority.db().pool())
    .await
    .unwrap();
    no
}

async fn state(app: &TestApp, order_id: &str) -> String {
    let (s,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT state FROM orders WHERE id = '{order_id}'"
    )))
    .fetch_one(app.server.authority.db().pool())
    .await
    .unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_configured_from_paysims_output_is_paid_through_it() {
    let sim_data = testkit::temp_dir();
    let (_sim, printed) = paysim(sim_data.path());
    assert!(
        !printed.contains(
            std::fs::read_to_string(sim_data.path().join("paysim/apiv3.key"))
                .unwrap()
                .trim()
        ),
        "the APIv3 key is not printed"
    );
    let base = printed
        .lines()
        .find_map(|l| l.strip_prefix("base = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("the WeChat base URL is printed")
        .to_string();

    // The operator pastes the sections into the server's configuration file.
    let dir = testkit::temp_dir();
    let file = dir.path().join("gateways.toml");
    std::fs::write(&file, &printed).unwrap();
    let config = Config::from_file(&file).expect("paysim prints valid configuration");
    let mut wechat = config.payment.wechat.expect("a [payment.wechat] section");
    wechat.api_v3_key = Some(
        std::fs::read_to_string(sim_data.path().join("paysim/apiv3.key"))
            .unwrap()
            .trim()
            .to_string(),
    );
    let alipay = config.payment.alipay;
    let app = TestApp::new()
        .priced(Business::Change, 100)
        .configure(move |s| {
            s.payment.alipay = alipay;
            s.payment.wechat = Some(wechat);
            s.payment.bank = Some(certhall::config::BankConfig {
                name: "安徽省某某认证有限公司".into(),
                bank: "某某银行合肥分行".into(),
                account: "1302 0000 0000 0000 000".into(),
            });
        })
        .spawn()
        .await;
    assert!(
        app.server.sandbox.is_none(),
        "configured gateways replace the in-process sandbox"
    );

    // 支付宝 through the separate process.
    let (b, _, order_id, method) = to_method(&app, "13812345678").await;
    let cashier = b
        .post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    assert!(cashier.url.starts_with(&base), "{}", cashier.url);
    assert_eq!(cashier.text("h1"), "支付宝收银台（沙箱）");
    let no = order_no(&app, &order_id).await;
    let done = b
        .client
        .post(format!("{base}/alipay/cashier/{no}/pay"))
        .send()
        .await
        .unwrap();
    assert!(
        done.url()
            .path()
            .ends_with(&format!("/pay/{order_id}/success")),
        "{}",
        done.url()
    );
    assert_eq!(state(&app, &order_id).await, "PAID");

    // 微信支付: the phone pays the QR code's URL, the notify comes from paysim.
    let (b, _, order_id, method) = to_method(&app, "13912345678").await;
    let qr = b
        .post(&method, &format!("/pay/{order_id}/wechat"), &[])
        .await;
    qr.assert_reads(".qr-panel p", "请使用微信扫一扫完成支付。");
    let no = order_no(&app, &order_id).await;
    let paid = reqwest::Client::new()
        .post(format!("{base}/wechat/cashier/{no}/pay"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("支付成功"), "{paid}");
    let settled = common::eventually(Duration::from_secs(10), || async {
        state(&app, &order_id).await == "PAID"
    })
    .await;
    assert!(
        settled.is_some(),
        "paysim's WeChat notify settled the order"
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

#[test]
fn bad_options_are_refused() {
    for (args, message) in [
        (
            &["--listen", "everywhere"][..],
            "--listen: `everywhere` is not an address:port",
        ),
        (
            &["--listen", "127.0.0.1:0", "--retry-scale", "0"][..],
            "--retry-scale: 0 must be in (0, 1]",
        ),
    ] {
        let data = testkit::temp_dir();
        let out = Command::new(env!("CARGO_BIN_EXE_certhall"))
            .env_remove("CERTHALL_CONFIG")
            .arg("--data-dir")
            .arg(data.path())
            .arg("paysim")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{err}");
        assert!(
            !data.path().join("paysim").exists(),
            "no keys are made for a refused start"
        );
    }
}
