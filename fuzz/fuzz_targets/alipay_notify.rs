//! An Alipay notify as it arrives: a form body, read as axum reads it, then
//! verified. Half the inputs are signed here with the gateway's key, so what
//! follows a good signature (app id, amounts) is reached too.
#![no_main]
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use payment::alipay::{self, Alipay};
use payment::keys::{PrivateKey, PublicKey};

struct Keys {
    gateway: PrivateKey,
    client: Alipay,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (gateway, _) = PrivateKey::generate().expect("an RSA key");
        let (merchant, _) = PrivateKey::generate().expect("an RSA key");
        let public = PublicKey::from_text(&gateway.public_pem().expect("PEM")).expect("public key");
        Keys {
            gateway,
            client: Alipay {
                gateway: "http://127.0.0.1:9/gateway.do".into(),
                app_id: "2021000000000000".into(),
                merchant_key: Arc::new(merchant),
                alipay_key: public,
                notify_url: String::new(),
                return_url: String::new(),
                http: Default::default(),
            },
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let Ok(mut params) = serde_urlencoded::from_bytes::<BTreeMap<String, String>>(body) else {
        return;
    };
    let k = keys();
    if mode & 1 == 1 {
        let content = alipay::sign_content(&params, &["sign", "sign_type"]);
        if let Ok(sig) = k.gateway.sign_base64(content.as_bytes()) {
            params.insert("sign".into(), sig);
        }
    }
    let _ = k.client.verify_notify(&params);
});
