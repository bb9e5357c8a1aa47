//! A WeChat Pay notify as it arrives: headers and a JSON body, verified and
//! decrypted. Inputs are signed here with the platform key (the fuzzer cannot
//! forge one); with the low bit of the first byte set, the rest is a
//! transaction's plaintext, sealed here with the APIv3 key, so the decrypted
//! JSON's handling is reached too.
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use payment::keys::{PrivateKey, PublicKey};
use payment::wechat::{self, SignatureHeaders, WeChat};

const V3: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

struct Keys {
    platform: PrivateKey,
    client: WeChat,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (platform, _) = PrivateKey::generate().expect("an RSA key");
        let (merchant, _) = PrivateKey::generate().expect("an RSA key");
        let public =
            PublicKey::from_text(&platform.public_pem().expect("PEM")).expect("public key");
        Keys {
            platform,
            client: WeChat {
                base: "http://127.0.0.1:9".into(),
                appid: "wx0000000000000000".into(),
                mchid: "1900000000".into(),
                merchant_serial: "M".into(),
                merchant_key: Arc::new(merchant),
                platform_serial: "P".into(),
                platform_key: public,
                api_v3_key: V3,
                notify_url: String::new(),
                http: Default::default(),
            },
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let k = keys();
    let body = if mode & 1 == 1 {
        let Ok(ciphertext) = wechat::encrypt_resource(&V3, "0123456789ab", "transaction", rest)
        else {
            return;
        };
        serde_json::json!({
            "id": "n",
            "create_time": "2026-01-01T00:00:00+08:00",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "summary": "支付成功",
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": "transaction",
                "nonce": "0123456789ab",
            }
        })
        .to_string()
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    let now = 1_800_000_000;
    let timestamp = now.to_string();
    let message = wechat::response_message(&timestamp, "nonce", &body);
    let Ok(signature) = k.platform.sign_base64(message.as_bytes()) else {
        return;
    };
    let headers = SignatureHeaders {
        timestamp,
        nonce: "nonce".into(),
        signature,
        serial: "P".into(),
    };
    let _ = k.client.verify_notify(&headers, &body, now);
});
