//! The signing and encryption code against answers computed independently: the
//! `openssl` command line for SHA256withRSA (PKCS#1 v1.5 is deterministic, so the
//! signatures must be byte-identical) and Python's `cryptography` for
//! AES-256-GCM.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::collections::BTreeMap;
use std::process::Command;

use base64::Engine;
use payment::keys::{PrivateKey, PublicKey};
use payment::{alipay, wechat};

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct Keys {
    dir: tempfile::TempDir,
    private: PrivateKey,
    public: PublicKey,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let k = key.to_str().unwrap();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            k,
        ]);
        let public = String::from_utf8(openssl(&["pkey", "-in", k, "-pubout"])).unwrap();
        Keys {
            private: PrivateKey::from_text(&std::fs::read_to_string(&key).unwrap()).unwrap(),
            public: PublicKey::from_text(&public).unwrap(),
            dir,
        }
    }

    /// `openssl dgst -sha256 -sign`, base64.
    fn openssl_signature(&self, message: &str) -> String {
        let msg = self.dir.path().join("msg");
        std::fs::write(&msg, message).unwrap();
        let key = self.dir.path().join("key.pem");
        let sig = openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            key.to_str().unwrap(),
            msg.to_str().unwrap(),
        ]);
        base64::engine::general_purpose::STANDARD.encode(sig)
    }
}

#[test]
fn alipay_rsa2_matches_openssl() {
    let keys = Keys::new();
    let mut p = BTreeMap::new();
    for (k, v) in [
        ("app_id", "2021000000000001"),
        ("method", "alipay.trade.page.pay"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", "2026-11-24 13:12:48"),
        ("version", "1.0"),
        (
            "biz_content",
            r#"{"out_trade_no":"CH2026112400001","total_amount":"100.00","subject":"证书变更"}"#,
        ),
        ("notify_url", ""),
    ] {
        p.insert(k.to_string(), v.to_string());
    }
    let content = alipay::sign_content(&p, &["sign"]);
    assert_eq!(
        content,
        r#"app_id=2021000000000001&biz_content={"out_trade_no":"CH2026112400001","total_amount":"100.00","subject":"证书变更"}&charset=utf-8&method=alipay.trade.page.pay&sign_type=RSA2&timestamp=2026-11-24 13:12:48&version=1.0"#
    );
    alipay::sign(&keys.private, &mut p).unwrap();
    assert_eq!(
        p["sign"],
        keys.openssl_signature(&content),
        "byte-identical to OpenSSL's"
    );

    // A notify signed by OpenSSL verifies (sign and sign_type are left out)…
    let mut notify = BTreeMap::new();
    for (k, v) in [
        ("app_id", "2021000000000001"),
        ("out_trade_no", "CH2026112400001"),
        ("trade_no", "2026112422001"),
        ("total_amount", "100.00"),
        ("trade_status", "TRADE_SUCCESS"),
        ("sign_type", "RSA2"),
    ] {
        notify.insert(k.to_string(), v.to_string());
    }
    let signed = alipay::sign_content(&notify, &["sign", "sign_type"]);
    notify.insert("sign".into(), keys.openssl_signature(&signed));
    alipay::verify(&keys.public, &notify, &["sign", "sign_type"]).unwrap();
    // …and one changed byte does not.
    notify.insert("total_amount".into(), "1.00".into());
    assert!(alipay::verify(&keys.public, &notify, &["sign", "sign_type"]).is_err());
}

#[test]
fn wechat_authorization_matches_openssl() {
    let keys = Keys::new();
    let req = wechat::SignedRequest {
        method: "POST",
        path_and_query: "/v3/pay/transactions/native",
        timestamp: 1_795_497_168,
        nonce: "593BEC0C930BF1AFEB40B4A08C8FB242",
        body: r#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","amount":{"total":10000}}"#,
    };
    assert_eq!(
        req.message(),
        "POST\n/v3/pay/transactions/native\n1795497168\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1230000109\",\"amount\":{\"total\":10000}}\n"
    );
    let header = wechat::authorization(
        &keys.private,
        "1230000109",
        "5157F09EFDC096DE15EBE81A47057A72",
        &req,
    )
    .unwrap();
    let fields = wechat::parse_authorization(&header).unwrap();
    assert_eq!(fields["signature"], keys.openssl_signature(&req.message()));
    assert_eq!(fields["mchid"], "1230000109");
    assert_eq!(fields["serial_no"], "5157F09EFDC096DE15EBE81A47057A72");

    let body = r#"{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}"#;
    let msg = wechat::response_message("1795497168", "nonce", body);
    assert_eq!(msg, format!("1795497168\nnonce\n{body}\n"));
    keys.public
        .verify_base64(msg.as_bytes(), &keys.openssl_signature(&msg))
        .unwrap();
}

#[test]
fn aead_aes_256_gcm_matches_python_cryptography() {
    let key = *b"0123456789abcdef0123456789abcdef";
    let nonce = "abcdefghijkl";
    let aad = "transaction";
    let plain = r#"{"trade_state":"SUCCESS","amount":{"total":10000}}"#;
    let script = format!(
        "import base64\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
         print(base64.b64encode(AESGCM(b'{}').encrypt(b'{nonce}', b'{}', b'{aad}')).decode())",
        std::str::from_utf8(&key).unwrap(),
        plain.replace('"', "\\\"")
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 is installed");
    assert!(
        out.status.success(),
        "python3 cryptography is needed (scripts/test installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let ours = wechat::encrypt_resource(&key, nonce, aad, plain.as_bytes()).unwrap();
    assert_eq!(ours, theirs);
    let back = wechat::decrypt_resource(&key, nonce, aad, &theirs).unwrap();
    assert_eq!(back, plain.as_bytes());
    // A flipped bit in the tag, or other associated data, is refused.
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&theirs)
        .unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let tampered = base64::engine::general_purpose::STANDARD.encode(raw);
    assert!(wechat::decrypt_resource(&key, nonce, aad, &tampered).is_err());
    assert!(wechat::decrypt_resource(&key, nonce, "refund", &theirs).is_err());
}
