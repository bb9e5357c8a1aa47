//! The merchant clients against the sandbox gateway over real HTTP: pay, notify
//! (verified by a merchant endpoint), query and refund, for both channels; and a
//! merchant with the wrong key is refused by the gateway as by the real one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use payment::alipay::{Alipay, Trade};
use payment::keys::{PrivateKey, PublicKey};
use payment::sim::{self, SimConfig};
use payment::wechat::{SignatureHeaders, Transaction, WeChat};

const API_V3: [u8; 32] = *b"certhall-sandbox-apiv3-key-32byt";

struct World {
    alipay: Alipay,
    wechat: WeChat,
    sim_base: String,
    notified: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Merchant {
    alipay: Arc<Mutex<Option<Alipay>>>,
    wechat: Arc<Mutex<Option<WeChat>>>,
    notified: Arc<Mutex<Vec<String>>>,
}

async fn alipay_notify(
    State(m): State<Merchant>,
    Form(p): Form<BTreeMap<String, String>>,
) -> &'static str {
    let a = m.alipay.lock().unwrap().clone().unwrap();
    match a.verify_notify(&p) {
        Ok(t) if t.paid() => {
            m.notified
                .lock()
                .unwrap()
                .push(format!("alipay:{}:{}", t.out_trade_no, t.total_fen));
            "success"
        }
        _ => "fail",
    }
}

async fn wechat_notify(State(m): State<Merchant>, headers: HeaderMap, body: String) -> StatusCode {
    let w = m.wechat.lock().unwrap().clone().unwrap();
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let sh = SignatureHeaders {
        timestamp: h("wechatpay-timestamp"),
        nonce: h("wechatpay-nonce"),
        signature: h("wechatpay-signature"),
        serial: h("wechatpay-serial"),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    match w.verify_notify(&sh, &body, now) {
        Ok(t) if t.trade_state == "SUCCESS" => {
            m.notified
                .lock()
                .unwrap()
                .push(format!("wechat:{}:{}", t.out_trade_no, t.amount.total));
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn serve(router: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    format!("http://{addr}")
}

async fn world(merchant_key_override: Option<PrivateKey>) -> World {
    let (merchant, _) = PrivateKey::generate().unwrap();
    let merchant_public = PublicKey::from_text(&merchant.public_pem().unwrap()).unwrap();
    let (ali_gw, _) = PrivateKey::generate().unwrap();
    let ali_gw_public = PublicKey::from_text(&ali_gw.public_pem().unwrap()).unwrap();
    let (platform, _) = PrivateKey::generate().unwrap();
    let platform_public = PublicKey::from_text(&platform.public_pem().unwrap()).unwrap();

    let m = Merchant {
        alipay: Default::default(),
        wechat: Default::default(),
        notified: Default::default(),
    };
    let merchant_base = serve(
        axum::Router::new()
            .route("/notify/alipay", post(alipay_notify))
            .route("/notify/wechat", post(wechat_notify))
            .with_state(m.clone()),
    )
    .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_base = format!("http://{}", listener.local_addr().unwrap());
    let state = sim::new_state(SimConfig {
        public_base: sim_base.clone(),
        alipay_app_id: "2021000000000001".into(),
        wechat_appid: "wx0000000000000001".into(),
        wechat_mchid: "1900000001".into(),
        platform_serial: "5157F09EFDC096DE15EBE81A47057A72".into(),
        alipay_key: ali_gw,
        platform_key: platform,
        merchant_alipay_public: merchant_public.clone(),
        merchant_wechat_public: merchant_public,
        api_v3_key: API_V3,
        retry_scale: 0.001,
    });
    let router = sim::router(state);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let signing = Arc::new(merchant_key_override.unwrap_or(merchant));
    let alipay = Alipay {
        gateway: format!("{sim_base}/alipay/gateway.do"),
        app_id: "2021000000000001".into(),
        merchant_key: signing.clone(),
        alipay_key: ali_gw_public,
        notify_url: format!("{merchant_base}/notify/alipay"),
        return_url: format!("{merchant_base}/return"),
        http: reqwest::Client::new(),
    };
    let wechat = WeChat {
        base: sim_base.clone(),
        appid: "wx0000000000000001".into(),
        mchid: "1900000001".into(),
        merchant_serial: "MERCHANT01".into(),
        merchant_key: signing,
        platform_serial: "5157F09EFDC096DE15EBE81A47057A72".into(),
        platform_key: platform_public,
        api_v3_key: API_V3,
        notify_url: format!("{merchant_base}/notify/wechat"),
        http: reqwest::Client::new(),
    };
    *m.alipay.lock().unwrap() = Some(alipay.clone());
    *m.wechat.lock().unwrap() = Some(wechat.clone());
    World {
        alipay,
        wechat,
        sim_base,
        notified: m.notified,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn wait_for(notified: &Arc<Mutex<Vec<String>>>, what: &str) {
    for _ in 0..100 {
        if notified.lock().unwrap().iter().any(|n| n == what) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no notify {what}: {:?}", notified.lock().unwrap());
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn alipay_pay_notify_query_refund() {
    let w = world(None).await;
    let now = now_ms();
    let url = w
        .alipay
        .page_pay_url("CH0001", 10_000, "证书变更", now + 1_800_000, now)
        .unwrap();
    let cashier = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(
        cashier.contains("¥100.00") && cashier.contains("确认付款"),
        "{cashier}"
    );
    assert_eq!(
        w.alipay.query("CH0001", now).await.unwrap().trade_status,
        "WAIT_BUYER_PAY"
    );
    let r = no_redirects()
        .post(format!("{}/alipay/cashier/CH0001/pay", w.sim_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        back.contains("/return?") && back.contains("out_trade_no=CH0001") && back.contains("sign="),
        "{back}"
    );
    wait_for(&w.notified, "alipay:CH0001:10000").await;
    let t: Trade = w.alipay.query("CH0001", now_ms()).await.unwrap();
    assert!(t.paid() && t.total_fen == 10_000, "{t:?}");
    let refund = w
        .alipay
        .refund("CH0001", 10_000, "RF0001", now_ms())
        .await
        .unwrap();
    assert!(refund.fund_change && refund.refund_fen == 10_000);
    // The same refund request again is not a second refund.
    let again = w
        .alipay
        .refund("CH0001", 10_000, "RF0001", now_ms())
        .await
        .unwrap();
    assert_eq!(again.refund_fen, 10_000);
    assert_eq!(
        w.alipay
            .query("CH0001", now_ms())
            .await
            .unwrap()
            .trade_status,
        "TRADE_CLOSED"
    );
    assert!(w.alipay.query("NOPE", now_ms()).await.is_err());
}

#[tokio::test]
async fn wechat_native_notify_query_refund() {
    let w = world(None).await;
    let now = now_ms();
    let code_url = w
        .wechat
        .native("CH0002", "证书变更", 5_000, now + 1_800_000, now / 1000)
        .await
        .unwrap();
    assert!(code_url.starts_with(&format!("{}/wechat/cashier/CH0002", w.sim_base)));
    let phone = reqwest::get(&code_url).await.unwrap().text().await.unwrap();
    assert!(phone.contains("¥50.00"), "{phone}");
    assert_eq!(
        w.wechat
            .query("CH0002", now / 1000)
            .await
            .unwrap()
            .trade_state,
        "NOTPAY"
    );
    no_redirects()
        .post(format!("{code_url}/pay"))
        .send()
        .await
        .unwrap();
    wait_for(&w.notified, "wechat:CH0002:5000").await;
    let t: Transaction = w.wechat.query("CH0002", now_ms() / 1000).await.unwrap();
    assert_eq!(t.trade_state, "SUCCESS");
    assert_eq!(
        w.wechat
            .refund("CH0002", "RF0002", 5_000, 5_000, now_ms() / 1000)
            .await
            .unwrap(),
        "SUCCESS"
    );
    assert_eq!(
        w.wechat
            .query("CH0002", now_ms() / 1000)
            .await
            .unwrap()
            .trade_state,
        "REFUND"
    );
}

#[tokio::test]
async fn a_merchant_with_the_wrong_key_is_refused() {
    let (stranger, _) = PrivateKey::generate().unwrap();
    let w = world(Some(stranger)).await;
    let now = now_ms();
    let url = w
        .alipay
        .page_pay_url("CH0003", 100, "x", now + 60_000, now)
        .unwrap();
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("验签出错"), "{page}");
    let err = w
        .wechat
        .native("CH0004", "x", 100, now + 60_000, now / 1000)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SIGN_ERROR"), "{err}");
}
