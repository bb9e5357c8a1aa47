//! 在线补办 with the earlier encryption keys back (GM/T 0034 §12.4), at the
//! assistant's API with software keys (what a client other than ours does,
//! and what lets the test hold every key): a holder's 双证书 from 在线新办 is
//! lost; the 补办 form's 取回原加密密钥 box is ticked; the new certificate
//! lists the lost one's encryption certificate and has its key enveloped by
//! the KMC to a fresh SM2 key, whose holder opens it to the private key of
//! that certificate. Both audit chains record it.
//!
//! Refused, each with its words and nothing changed: a recipient that is not
//! an SM2 key, a public key that is not base64, a serial outside the lost
//! certificate's line, a proof by the lost (revoked) certificate, a proof by
//! a certificate that is not of such a 补办, a signature over another key.

use std::path::Path;

use base64::Engine;
use common::flow::holder_code;
use common::holder;
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

use super::skf_sm2::{ORG, Run, new_application, reissue_paid, start};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The DER SubjectPublicKeyInfo of a key file.
fn spki_der(r: &Run, key: &Path) -> Vec<u8> {
    let out = r.app.path("spki.der");
    openssl::ok(&[
        "pkey",
        "-in",
        s(key),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        s(&out),
    ]);
    std::fs::read(&out).unwrap()
}

/// POSTs `body` (with a proof by `key` of `cert_pem` over `message(nonce)`).
async fn proved(
    r: &Run,
    path: &str,
    cert_pem: &str,
    key: &Path,
    message: impl Fn(&str) -> String,
    mut body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (nonce, _) = holder::challenge(&r.app).await;
    let signature = holder::sign(r.app.dir.path(), key, KeyKind::Sm2, &message(&nonce));
    body["certificate"] = cert_pem.into();
    body["nonce"] = nonce.into();
    body["signature"] = signature.into();
    let resp = r
        .app
        .http
        .post(format!("{}{path}", r.app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// The pickup of `code` for a fresh software SM2 key: (key, certificate PEM,
/// the answer).
async fn pick_up(
    r: &Run,
    code: &str,
    name: &str,
) -> (std::path::PathBuf, String, serde_json::Value) {
    let (key, csr) = openssl::key_and_csr(r.app.dir.path(), name, KeyKind::Sm2);
    let answer: serde_json::Value = r
        .app
        .http
        .post(format!("{}/api/v1/assistant/pickup", r.app.base))
        .json(&serde_json::json!({ "code": code, "csr": std::fs::read_to_string(&csr).unwrap() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pem = answer["certificate_pem"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string();
    let (status, done) = proved(
        r,
        "/api/v1/assistant/complete",
        &pem,
        &key,
        |n| format!("certhall-complete:{n}"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    (key, pem, answer)
}

/// What a refusal must not change: the CA's rows and audit chain, the
/// challenges used, the KMC's keys and tasks.
async fn snapshot(r: &Run) -> (String, String, Vec<(String, String)>, i64) {
    let kmc = r
        .app
        .server
        .kmc
        .as_ref()
        .expect("the KMC runs inside")
        .kmc
        .clone();
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT user_cert_no, state FROM kmc_keys ORDER BY user_cert_no")
            .fetch_all(kmc.db().pool())
            .await
            .unwrap();
    let tasks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kmc_tasks")
        .fetch_one(kmc.db().pool())
        .await
        .unwrap();
    (
        r.app.snapshot().await,
        r.app.portal_snapshot().await,
        keys,
        tasks,
    )
}

async fn earlier_keys_come_back_to_the_new_key(backend: Backend) {
    let (r, reviewer) = start(backend).await;
    let (b, new_id) = new_application(&r, &reviewer).await;
    let code = holder_code(&b, &new_id).await;
    let (_, first_pem, first) = pick_up(&r, &code, "first").await;
    let first_serial = first["serial"].as_str().unwrap().to_string();
    let lost_enc = first["encryption"]["serial"].as_str().unwrap().to_string();
    let lost_enc_pem = first["encryption"]["certificate_pem"]
        .as_str()
        .unwrap()
        .to_string();

    // 在线补办, the box ticked: the form says how many keys can come back.
    r.minute();
    let (form, reissue_id) = reissue_paid(&r, &b, &first_serial, ORG).await;
    assert!(
        form.text("#earlier-keys-hint").ends_with('1'),
        "{}",
        form.text("#earlier-keys-hint")
    );
    // The reviewer sees what approving lets the new key have.
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{reissue_id}"))
        .await;
    assert!(
        desk.html.contains("原加密密钥") && desk.html.contains("由密钥管理中心加密传入新证书介质"),
        "{}",
        desk.html
    );
    common::staff::approve_by(&r.app, &reviewer, &reissue_id).await;
    let code = holder_code(&b, &reissue_id).await;
    let (new_key, new_pem, second) = pick_up(&r, &code, "second").await;
    let new_enc = second["encryption"]["serial"].as_str().unwrap().to_string();
    assert_ne!(new_enc, lost_enc);

    // The list, proved by the new certificate: the lost one's encryption
    // certificate, as issued.
    let (status, list) = proved(
        &r,
        "/api/v1/assistant/earlier-keys",
        &new_pem,
        &new_key,
        |n| format!("certhall-earlier-keys:{n}"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{list}");
    assert_eq!(keys[0]["serial"], lost_enc.as_str());
    assert_eq!(keys[0]["certificate_pem"], lost_enc_pem.as_str());

    let restore = |cert: String, key: std::path::PathBuf, serial: String, public: Vec<u8>| {
        let r = &r;
        async move {
            let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&public));
            let signed_serial = serial.clone();
            proved(
                r,
                "/api/v1/assistant/earlier-keys/restore",
                &cert,
                &key,
                move |n| format!("certhall-earlier-key:{n}:{signed_serial}:{digest}"),
                serde_json::json!({ "serial": serial, "public_key": b64(&public) }),
            )
            .await
        }
    };
    let (recipient, _) = openssl::key_and_csr(r.app.dir.path(), "container", KeyKind::Sm2);
    let recipient_spki = spki_der(&r, &recipient);

    // A certificate of no such 补办 (the operator's, from the counter) has
    // nothing to list.
    let counter = holder::enterprise(&r.app, "counter", KeyKind::Sm2).await;
    let (status, list) = proved(
        &r,
        "/api/v1/assistant/earlier-keys",
        &std::fs::read_to_string(&counter.cert).unwrap(),
        &counter.key,
        |n| format!("certhall-earlier-keys:{n}"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!((status, list["keys"].as_array().unwrap().len()), (200, 0));

    // Refusals: each with its words, nothing changed.
    let before = snapshot(&r).await;
    let (p256, _) = openssl::key_and_csr(r.app.dir.path(), "p256", KeyKind::P256);
    let (status, body) = restore(
        new_pem.clone(),
        new_key.clone(),
        lost_enc.clone(),
        spki_der(&r, &p256),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("必须是 SM2 公钥"),
        "{body}"
    );
    let (status, body) = proved(
        &r,
        "/api/v1/assistant/earlier-keys/restore",
        &new_pem,
        &new_key,
        |n| format!("certhall-earlier-key:{n}"),
        serde_json::json!({ "serial": lost_enc, "public_key": "not base64!" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("不是 base64"),
        "{body}"
    );
    let (status, body) = restore(
        new_pem.clone(),
        new_key.clone(),
        new_enc.clone(),
        recipient_spki.clone(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("不能取回"),
        "{body}"
    );
    let (status, body) = restore(
        first_pem.clone(),
        r.app.dir.path().join("first.key"),
        lost_enc.clone(),
        recipient_spki.clone(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("已被吊销"),
        "{body}"
    );
    // Signed over another key than the one sent.
    let (status, body) = proved(
        &r,
        "/api/v1/assistant/earlier-keys/restore",
        &new_pem,
        &new_key,
        |n| format!("certhall-earlier-key:{n}:{lost_enc}:{}", "00".repeat(32)),
        serde_json::json!({ "serial": lost_enc, "public_key": b64(&recipient_spki) }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("签名验证失败"),
        "{body}"
    );
    let (status, body) = restore(
        std::fs::read_to_string(&counter.cert).unwrap(),
        counter.key.clone(),
        lost_enc.clone(),
        recipient_spki.clone(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("取回原加密密钥"),
        "{body}"
    );
    assert_eq!(
        snapshot(&r).await,
        before,
        "nothing changed, no challenge used up"
    );

    // The good call: the KMC envelopes the lost key to the fresh key, whose
    // holder opens it to the private key of the lost encryption certificate.
    let (status, pair) = restore(
        new_pem.clone(),
        new_key.clone(),
        lost_enc.clone(),
        recipient_spki.clone(),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    assert_eq!(pair["serial"], lost_enc.as_str());
    let blob = base64::engine::general_purpose::STANDARD
        .decode(pair["envelope"].as_str().unwrap())
        .unwrap();
    let envelope = pki::envelope::KeyEnvelope::from_skf_blob(&blob).unwrap();
    let private = envelope
        .open(&openssl::sm2_private_scalar(&recipient))
        .unwrap();
    let cert_file = r.app.path("lost-enc.pem");
    std::fs::write(&cert_file, &lost_enc_pem).unwrap();
    let text = openssl::ok(&["x509", "-in", s(&cert_file), "-noout", "-text"]);
    let public = openssl::public_point_hex(&text);
    assert_eq!(
        hex::encode(pki::envelope::sm2_public_point(&private).unwrap()),
        public,
        "the private key of the lost encryption certificate (OpenSSL reads its public key)"
    );
    // Asked again (a rerun): the same envelope, the same KMC task.
    let tasks = snapshot(&r).await.3;
    let (status, again) = restore(new_pem, new_key, lost_enc.clone(), recipient_spki).await;
    assert_eq!((status, &again["envelope"]), (200, &pair["envelope"]));
    assert_eq!(snapshot(&r).await.3, tasks);

    // Both audit chains say so.
    assert_eq!(
        r.app
            .scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'key_recovery.holder' AND object = '{reissue_id}'"
            ))
            .await,
        2
    );
    let kmc = r.app.server.kmc.as_ref().unwrap().kmc.clone();
    let recorded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'kmc.key.recovery.holder'",
    )
    .fetch_one(kmc.db().pool())
    .await
    .unwrap();
    assert_eq!(recorded, 1, "one KMC task, recorded once");
    r.app.server.stop().await;
}

on_both_databases!(earlier_keys_come_back_to_the_new_key);
