//! Dual certificates under an SM2 CA (GM/T 0034 §6): an SM2 signing key is
//! certified with an encryption certificate whose key pair the KMC made,
//! escrowed and enveloped to the signing key. OpenSSL verifies both; the
//! holder's key opens the envelope; the pair is revoked whole; and with the
//! KMC down nothing is issued until a retry completes the pair.

use std::path::Path;

use ca::authority::IssueRequest;
use ca::authority::kmc::KmcLink;
use common::TestApp;
use domain::{ProfileKind, RevocationReason, SubjectInfo};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

fn subject() -> SubjectInfo {
    SubjectInfo::parse(
        ProfileKind::Enterprise,
        Some("张三"),
        Some("某公司"),
        Some("91110108551385082Q"),
        None,
    )
    .unwrap()
}

pub(super) fn request(id: &str, csr: &Path) -> IssueRequest {
    IssueRequest {
        request_id: id.into(),
        csr: std::fs::read(csr).unwrap(),
        subject: subject(),
        years: 1,
        not_after_ms: None,
        actor: "test".into(),
        keep_encryption_of: None,
    }
}

async fn sm2_app(backend: Backend) -> TestApp {
    TestApp::new()
        .backend(backend)
        .algorithm(ca::KeyAlgorithm::Sm2)
        .spawn()
        .await
}

/// The KMC `certhall serve` runs inside for an SM2 CA.
fn kmc_of(app: &TestApp) -> std::sync::Arc<kmc::Kmc> {
    app.server
        .kmc
        .as_ref()
        .expect("the KMC runs inside")
        .kmc
        .clone()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes a DER certificate as PEM and checks its link to the issuing CA
/// with OpenSSL (the SM2 signer ID given); returns its `-text`.
fn verified(app: &TestApp, issuing: &Path, name: &str, der: &[u8]) -> String {
    let der_path = app.path(&format!("{name}.der"));
    std::fs::write(&der_path, der).unwrap();
    let pem = app.path(&format!("{name}.pem"));
    openssl::der_to_pem(&der_path, &pem);
    let out = openssl::ok(&[
        "verify",
        "-vfyopt",
        "distid:1234567812345678",
        "-partial_chain",
        "-CAfile",
        s(issuing),
        s(&pem),
    ]);
    assert!(out.contains(": OK"), "{name}: {out}");
    openssl::ok(&["x509", "-in", s(&pem), "-noout", "-text"])
}

async fn an_sm2_signing_certificate_comes_with_its_encryption_pair(backend: Backend) {
    let app = sm2_app(backend).await;
    let issuing = app.issuing_file().await;
    let (key, csr) = openssl::key_and_csr(app.dir.path(), "holder", KeyKind::Sm2);
    let authority = app.server.authority.clone();
    let issued = authority.issue(request("pair-1", &csr)).await.unwrap();
    let encryption = issued.encryption.clone().expect("an encryption pair");

    let signing_text = verified(&app, &issuing, "signing", &issued.cert_der);
    assert!(
        signing_text.contains("Digital Signature, Non Repudiation"),
        "{signing_text}"
    );
    let text = verified(&app, &issuing, "encryption", &encryption.cert_der);
    assert!(
        text.contains("Key Encipherment, Data Encipherment, Key Agreement"),
        "{text}"
    );
    assert!(!text.contains("Non Repudiation"), "{text}");
    assert!(text.contains("ASN1 OID: SM2"), "{text}");
    let subject_of = |t: &str| {
        t.lines()
            .find(|l| l.contains("Subject:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(subject_of(&text), subject_of(&signing_text));

    // The holder's signing key opens the envelope; inside is the private key
    // of the encryption certificate.
    let envelope = encryption.key_envelope().unwrap();
    let holder_secret = openssl::sm2_private_scalar(&key);
    let private = envelope.open(&holder_secret).unwrap();
    let point = pki::envelope::sm2_public_point(&private).unwrap();
    let cert_point = pki::verify::sm2_point_of_spki(
        &der::Encode::to_der(
            <x509_cert::Certificate as der::Decode>::from_der(&encryption.cert_der)
                .unwrap()
                .tbs_certificate()
                .subject_public_key_info(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(point, cert_point);

    // Asked again: the same pair, nothing new.
    let before = app.scalar("SELECT COUNT(*) FROM certificates").await;
    let again = authority.issue(request("pair-1", &csr)).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.cert_der, issued.cert_der);
    assert_eq!(again.encryption.unwrap().cert_der, encryption.cert_der);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates").await,
        before
    );

    // Revoking the signing certificate revokes the encryption one (OCSP) and
    // the KMC's escrowed key.
    authority
        .revoke(&issued.serial, RevocationReason::KeyCompromise, "test")
        .await
        .unwrap();
    // (OpenSSL 3.0 cannot give an OCSP signature the SM2 signer ID: the
    // answer's signature is checked in pki_openssl.rs over its TBS bytes.)
    let out = openssl::run(&[
        "ocsp",
        "-issuer",
        s(&issuing),
        "-serial",
        &format!("0x{}", encryption.serial.to_hex()),
        "-url",
        &format!("{}/pki/ocsp", app.base),
        "-noverify",
    ]);
    let ocsp = String::from_utf8_lossy(&out.stdout);
    assert!(
        ocsp.contains(": revoked") && ocsp.contains("Reason: keyCompromise"),
        "{ocsp}"
    );
    let kmc = kmc_of(&app);
    let revoked = common::eventually(std::time::Duration::from_secs(10), || {
        let kmc = kmc.clone();
        async move {
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM kmc_keys WHERE state = 'REVOKED'")
                    .fetch_one(kmc.db().pool())
                    .await
                    .unwrap();
            n == 1
        }
    })
    .await;
    assert!(revoked.is_some(), "the KMC revoked the escrowed key");
    app.server.stop().await;
}

async fn with_the_kmc_down_nothing_is_issued_until_a_retry_completes_the_pair(backend: Backend) {
    let app = sm2_app(backend).await;
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "holder", KeyKind::Sm2);
    let authority = app.server.authority.clone();
    let in_process = app.server.kmc.as_ref().expect("the KMC runs inside");
    in_process.task.abort();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let issued_before = app
        .scalar("SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED'")
        .await;
    let err = authority.issue(request("pair-2", &csr)).await.unwrap_err();
    assert!(err.to_string().starts_with("the KMC: the KMC at "), "{err}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED'")
            .await,
        issued_before,
        "no signing certificate without its pair"
    );

    // The KMC back (on another port): the same request completes the pair.
    serve_kmc(&authority, in_process.kmc.clone()).await;
    let issued = authority.issue(request("pair-2", &csr)).await.unwrap();
    assert!(issued.encryption.is_some());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED'")
            .await,
        issued_before + 2
    );
    app.server.stop().await;
}

/// `certhall ca issue` under an SM2 CA certifies the pair too (the KMC the
/// running server started, its database shared): the encryption certificate
/// and the SM2EnvelopedKey where asked, OpenSSL verifying the one and gmssl
/// opening the other to its private key. Asked of a P-256 CA, the options
/// are refused before anything is issued.
async fn the_command_line_issues_the_pair_too(backend: Backend) {
    let app = sm2_app(backend).await;
    let issuing = app.issuing_file().await;
    let (key, csr) = openssl::key_and_csr(app.dir.path(), "counter", KeyKind::Sm2);
    let (enc, enveloped) = (app.path("counter-enc.pem"), app.path("counter.sm2key"));
    let out = app
        .cli(&[
            "ca",
            "issue",
            "--csr",
            s(&csr),
            "--profile",
            "enterprise",
            "--cn",
            "张三",
            "--org",
            "某公司",
            "--credit-code",
            "91110108551385082Q",
            "--encryption-certificate",
            s(&enc),
            "--enveloped-key",
            s(&enveloped),
        ])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("with encryption certificate"),
        "{}",
        common::stderr(&out)
    );
    let signing = app.path("counter.pem");
    std::fs::write(&signing, common::stdout(&out)).unwrap();
    let der = |pem: &Path| {
        let out = app.path("tmp.der");
        openssl::ok(&["x509", "-in", s(pem), "-outform", "DER", "-out", s(&out)]);
        std::fs::read(&out).unwrap()
    };
    verified(&app, &issuing, "counter-signing", &der(&signing));
    let text = verified(&app, &issuing, "counter-encryption", &der(&enc));
    assert!(text.contains("Key Encipherment"), "{text}");
    let public = openssl::public_point_hex(&text);
    let (_, found) = gmssl_open(&key, &std::fs::read(&enveloped).unwrap());
    assert_eq!(
        found, public,
        "gmssl finds the encryption certificate's private key"
    );
    app.server.stop().await;

    let p256 = TestApp::new().backend(backend).spawn().await;
    let (_, csr) = openssl::key_and_csr(p256.dir.path(), "p256", KeyKind::P256);
    let before = p256.snapshot().await;
    let out = p256
        .cli(&[
            "ca",
            "issue",
            "--csr",
            s(&csr),
            "--profile",
            "enterprise",
            "--cn",
            "张三",
            "--org",
            "某公司",
            "--credit-code",
            "91110108551385082Q",
            "--enveloped-key",
            s(&p256.path("x.der")),
        ])
        .await;
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("this CA issues no encryption pairs"),
        "{}",
        common::stderr(&out)
    );
    assert_eq!(p256.snapshot().await, before);
    p256.server.stop().await;
}

/// A KMC (certified by this CA, signing its answers) that envelopes the key
/// to another certificate than the holder's signing one: the CA refuses the
/// delivery; nothing is issued and the pair keeps no key, so a retry with a
/// sound KMC completes it.
async fn an_envelope_for_another_certificate_is_refused(backend: Backend) {
    use der::{Decode, Encode};
    use pki::envelope::{KeyEnvelope, signed};
    use pki::gmt0014::{self, EntName, KmRespond, KsRespond, Request, Respond, RetKeyRespond};
    use pki::signer::{Signer, SoftwareKey};

    let app = sm2_app(backend).await;
    let authority = app.server.authority.clone();
    let sound = kmc_of(&app);
    let rogue = std::sync::Arc::new(SoftwareKey::generate(ca::KeyAlgorithm::Sm2).unwrap().0);
    let rogue_cert = authority
        .certify_kmc(rogue.spki_der(), "test")
        .await
        .unwrap();
    // Another certificate of ours: the sound KMC's.
    let other = sound.certificate().unwrap().to_vec();
    let (signer, cert) = (rogue.clone(), rogue_cert.clone());
    let answer = move |body: axum::body::Bytes| {
        let (signer, cert, other) = (signer.clone(), cert.clone(), other.clone());
        async move {
            let request = gmt0014::CaRequest::read(&body).unwrap();
            let ks = request.ks_request;
            let [Request::ApplyKey(apply)] = ks.request_list.as_slice() else {
                panic!("an ApplyKeyReq expected");
            };
            let info = &apply.app_user_info;
            let holder =
                pki::verify::sm2_point_of_spki(&info.user_pub_key.to_der().unwrap()).unwrap();
            let (private, public) = pki::envelope::generate_sm2().unwrap();
            let envelope = KeyEnvelope::seal(&holder, &private).unwrap();
            let wrong = signed::IssuerAndSerialNumber::of_certificate(&other).unwrap();
            let retpri = signed::seal(&envelope, &wrong, &private, &*signer, &cert).unwrap();
            let respond = RetKeyRespond {
                user_cert_no: info.user_cert_no.clone(),
                ret_pub_key: x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(
                    &pki::signer::sm2_spki(&public),
                )
                .unwrap(),
                ret_pri_key: der::asn1::Any::from_der(&retpri).unwrap(),
            };
            let ks = KsRespond {
                version: gmt0014::int(1).unwrap(),
                km_name: EntName::of_certificate(&cert).unwrap(),
                respond_list: vec![Respond::RetKey(respond)],
                respond_time: ks.request_time,
                task_no: ks.task_no.clone(),
            };
            KmRespond::sign(ks, &*signer).unwrap().to_der().unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kmc/v1/tasks", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/kmc/v1/tasks", axum::routing::post(answer));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    authority.set_kmc(KmcLink::new(&url, &rogue_cert).unwrap());

    let (_, csr) = openssl::key_and_csr(app.dir.path(), "holder", KeyKind::Sm2);
    let before = app
        .scalar("SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED'")
        .await;
    let err = authority.issue(request("rogue-1", &csr)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the KMC enveloped the key to another certificate than the signing one"),
        "{err}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED'")
            .await,
        before,
        "no signing certificate without its pair"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM encryption_pairs WHERE public_key IS NOT NULL")
            .await,
        0,
        "nothing of the rogue's delivery is kept"
    );

    // The sound KMC back: the same request completes the pair.
    serve_kmc(&authority, sound.clone()).await;
    let issued = authority.issue(request("rogue-1", &csr)).await.unwrap();
    assert!(issued.encryption.is_some());
    drop(sound);
    app.server.stop().await;
}

/// 在线延期 keeping the encryption key (`IssueRequest::keep_encryption_of`,
/// what `[kmc] renewal_new_encryption_key = false` asks): the renewed
/// signing key gets a new encryption certificate of the *same* key pair,
/// enveloped to the new key by the KMC, which escrows it again under the new
/// number. The old pair's revocation (superseded) leaves the new standing; a
/// pair revoked is never kept again.
async fn a_renewal_may_keep_the_encryption_key_pair(backend: Backend) {
    let app = sm2_app(backend).await;
    let issuing = app.issuing_file().await;
    let authority = app.server.authority.clone();
    let (old_key, old_csr) = openssl::key_and_csr(app.dir.path(), "old", KeyKind::Sm2);
    let old = authority
        .issue(request("renew-old", &old_csr))
        .await
        .unwrap();
    let old_pair = old.encryption.clone().unwrap();

    let (new_key, new_csr) = openssl::key_and_csr(app.dir.path(), "new", KeyKind::Sm2);
    let mut renew = request("renew-new", &new_csr);
    renew.keep_encryption_of = Some(old.serial.clone());
    let renewed = authority.issue(renew.clone()).await.unwrap();
    let new_pair = renewed.encryption.clone().unwrap();
    assert_ne!(new_pair.serial, old_pair.serial, "a new certificate…");
    assert_eq!(new_pair.public_key, old_pair.public_key, "…of the same key");
    let text = verified(&app, &issuing, "kept", &new_pair.cert_der);
    let old_text = verified(&app, &issuing, "kept-old", &old_pair.cert_der);
    assert_eq!(
        openssl::public_point_hex(&text),
        openssl::public_point_hex(&old_text),
        "OpenSSL reads one public key"
    );
    let open = |pair: &ca::authority::EncryptionIssued, key: &Path| {
        *pair
            .key_envelope()
            .unwrap()
            .open(&openssl::sm2_private_scalar(key))
            .unwrap()
    };
    assert_eq!(
        open(&new_pair, &new_key),
        open(&old_pair, &old_key),
        "the new signing key opens the same private key"
    );
    let again = authority.issue(renew).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.encryption.unwrap().cert_der, new_pair.cert_der);

    // The old certificate superseded: its pair and its escrow go, the
    // renewed pair and its escrow stand.
    authority
        .revoke(&old.serial, RevocationReason::Superseded, "test")
        .await
        .unwrap();
    let kmc = kmc_of(&app);
    let states = || {
        let kmc = kmc.clone();
        async move {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT user_cert_no, state FROM kmc_keys ORDER BY created_at")
                    .fetch_all(kmc.db().pool())
                    .await
                    .unwrap();
            rows
        }
    };
    let told = common::eventually(std::time::Duration::from_secs(10), || async {
        states().await.iter().any(|(_, s)| s == "REVOKED")
    })
    .await;
    assert!(told.is_some(), "the KMC revoked the old escrow");
    let rows = states().await;
    assert_eq!(
        rows,
        vec![
            (old_pair.serial.to_hex(), "REVOKED".to_string()),
            (new_pair.serial.to_hex(), "ACTIVE".to_string()),
        ]
    );

    // Keeping a revoked pair's key is not done: a new key pair instead.
    let (_, third_csr) = openssl::key_and_csr(app.dir.path(), "third", KeyKind::Sm2);
    let mut third = request("renew-third", &third_csr);
    third.keep_encryption_of = Some(old.serial.clone());
    let third = authority.issue(third).await.unwrap().encryption.unwrap();
    assert_ne!(third.public_key, old_pair.public_key);
    app.server.stop().await;
}

/// gmssl opens `enveloped` (DER SM2EnvelopedKey) with the private key of
/// `holder_key` (a PEM file): the private key it finds and the public key it
/// computes from it, lower-case hex.
fn gmssl_open(holder_key: &Path, enveloped: &[u8]) -> (String, String) {
    let scalar = hex::encode(openssl::sm2_private_scalar(holder_key));
    let output = std::process::Command::new("python3")
        .args(["-c", GMSSL_OPEN, &scalar, &hex::encode(enveloped)])
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'gmssl'"),
        "Python's gmssl is missing: pip install gmssl (scripts/test installs it)"
    );
    assert!(output.status.success(), "gmssl: {stderr}");
    let line = String::from_utf8(output.stdout).unwrap();
    let mut parts = line.split_whitespace().map(str::to_ascii_lowercase);
    (parts.next().unwrap(), parts.next().unwrap())
}

/// Serves `kmc` on a fresh loopback port and points the CA at it.
async fn serve_kmc(authority: &ca::Authority, kmc: std::sync::Arc<kmc::Kmc>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kmc/v1/tasks", listener.local_addr().unwrap());
    let cert = kmc.certificate().unwrap().to_vec();
    let router = kmc::http::router(kmc);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    authority.set_kmc(KmcLink::new(&url, &cert).unwrap());
}

/// gmssl (pure Python, nobody here wrote it) opens a GB/T 35276
/// SM2EnvelopedKey with a software signing key's private scalar and prints
/// the private key it finds and the public key it computes from it. (gmssl's
/// `decrypt` does not check C3; the public key is what proves the result.)
const GMSSL_OPEN: &str = r#"
import sys
from gmssl import sm2, sm4

def tlv(data, at):
    tag = data[at]; length = data[at + 1]; at += 2
    if length & 0x80:
        n = length & 0x7f
        length = int.from_bytes(data[at:at + n], 'big'); at += n
    return tag, data[at:at + length], at + length

_, body, _ = tlv(bytes.fromhex(sys.argv[2]), 0)
_, _, at = tlv(body, 0)
_, cipher, at = tlv(body, at)
_, _, at = tlv(body, at)
_, encrypted, at = tlv(body, at)
_, x, i = tlv(cipher, 0)
_, y, i = tlv(cipher, i)
_, c3, i = tlv(cipher, i)
_, c2, i = tlv(cipher, i)
x = x[-32:].rjust(32, b'\0'); y = y[-32:].rjust(32, b'\0')
crypt = sm2.CryptSM2(private_key=sys.argv[1], public_key='', mode=1)
box = sm4.CryptSM4(padding_mode=-1)
box.set_key(crypt.decrypt(x + y + c3 + c2), sm4.SM4_DECRYPT)
private = box.crypt_ecb(encrypted[1:])
print(private.hex(), '04' + crypt._kg(int(private.hex(), 16), sm2.default_ecc_table['g']))
"#;

/// An integrator's RA certifies a software SM2 key through the issuing API:
/// the answer carries the encryption certificate and its key as a GB/T 35276
/// SM2EnvelopedKey, which gmssl opens with the signing key's private scalar
/// to the private key of that encryption certificate (whose public key
/// OpenSSL reads out of the certificate). The holder gets the same bytes by
/// a `GET` proved with its signing key (`ra::enveloped_key`).
async fn gmssl_opens_the_enveloped_key_of_the_encryption_certificate(backend: Backend) {
    use base64::Engine;
    let app = sm2_app(backend).await;
    let out = app
        .cli(&["staff", "add", "li.operator", "--role", "operator"])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = app
        .cli(&["staff", "api-key", "li.operator", "--label", "招投标平台"])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    let key = common::stdout(&out).trim().to_string();
    let (holder_key, csr) = openssl::key_and_csr(app.dir.path(), "software", KeyKind::Sm2);
    let answer: serde_json::Value = app
        .http
        .post(format!("{}/api/v1/ca/issue", app.base))
        .header("authorization", format!("Bearer {key}"))
        .json(&serde_json::json!({
            "request_id": "tender-1",
            "csr": std::fs::read_to_string(&csr).unwrap(),
            "profile": "enterprise",
            "common_name": "张三",
            "organization": "某公司",
            "credit_code": "91110108551385082Q",
            "years": 1,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let encryption = &answer["encryption"];
    let cert = app.path("encryption-api.pem");
    std::fs::write(&cert, encryption["certificate"].as_str().unwrap()).unwrap();
    let text = openssl::ok(&["x509", "-in", s(&cert), "-noout", "-text"]);
    assert!(text.contains("Key Encipherment"), "{text}");
    // The certificate's public key, as OpenSSL prints it (pub: 04:…).
    let public = openssl::public_point_hex(&text);
    let from_api = base64::engine::general_purpose::STANDARD
        .decode(encryption["enveloped_key"].as_str().unwrap())
        .unwrap();

    // The holder fetches the same envelope itself, by a GET proved with its
    // signing key; the GET uses nothing up (the same proof reads again).
    let signing = app.path("signing-api.pem");
    std::fs::write(&signing, answer["certificate"].as_str().unwrap()).unwrap();
    let der_of = |pem: &Path| {
        let out = app.path("proof.der");
        openssl::ok(&["x509", "-in", s(pem), "-outform", "DER", "-out", s(&out)]);
        std::fs::read(&out).unwrap()
    };
    let signing_der = der_of(&signing);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let (nonce, _) = common::holder::challenge(&app).await;
    let signature = common::holder::sign(
        app.dir.path(),
        &holder_key,
        KeyKind::Sm2,
        &format!("certhall-enveloped-key:{nonce}"),
    );
    let fetch = |cert: String, nonce: String, signature: String| {
        let app = &app;
        async move {
            let r = app
                .http
                .get(format!("{}/api/v1/assistant/enveloped-key", app.base))
                .header("certhall-certificate", cert)
                .header("certhall-nonce", nonce)
                .header("certhall-signature", signature)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
        }
    };
    let before = (app.snapshot().await, app.portal_snapshot().await);
    let (status, enveloped) = fetch(b64(&signing_der), nonce.clone(), signature.clone()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&enveloped));
    assert_eq!(enveloped, from_api, "the same SM2EnvelopedKey as the API's");
    let (status, again) = fetch(b64(&signing_der), nonce.clone(), signature.clone()).await;
    assert_eq!(
        (status, &again),
        (200, &enveloped),
        "a read uses nothing up"
    );

    // Bad proofs: each refused with its words, nothing changed.
    let words = |body: &[u8]| String::from_utf8_lossy(body).into_owned();
    let (status, body) = fetch(String::new(), nonce.clone(), signature.clone()).await;
    assert_eq!(status, 400);
    assert!(words(&body).contains("请求缺少证明"), "{}", words(&body));
    let (status, body) = fetch("not base64!".into(), nonce.clone(), signature.clone()).await;
    assert_eq!(status, 400);
    assert!(words(&body).contains("不是 base64"), "{}", words(&body));
    let (other_key, _) = openssl::key_and_csr(app.dir.path(), "stranger", KeyKind::Sm2);
    let forged = common::holder::sign(
        app.dir.path(),
        &other_key,
        KeyKind::Sm2,
        &format!("certhall-enveloped-key:{nonce}"),
    );
    let (status, body) = fetch(b64(&signing_der), nonce.clone(), forged).await;
    assert_eq!(status, 403, "{}", words(&body));
    assert!(words(&body).contains("签名验证失败"), "{}", words(&body));
    let (status, body) = fetch(b64(&signing_der), "AAAA".into(), signature.clone()).await;
    assert_eq!(status, 403, "{}", words(&body));
    assert!(words(&body).contains("挑战码无效"), "{}", words(&body));
    assert_eq!(
        (app.snapshot().await, app.portal_snapshot().await),
        before,
        "reads and refusals change nothing"
    );

    // Revoked (the pair goes together): the envelope is no longer handed out.
    let serial = answer["serial"].as_str().unwrap();
    let out = app
        .cli(&["ca", "revoke", serial, "--reason", "keyCompromise"])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    let (status, body) = fetch(b64(&signing_der), nonce, signature).await;
    assert_eq!(status, 403, "{}", words(&body));
    assert!(words(&body).contains("已被吊销"), "{}", words(&body));

    let (private, found) = gmssl_open(&holder_key, &enveloped);
    assert_eq!(
        found, public,
        "gmssl found the private key of the encryption certificate"
    );
    assert_eq!(private.len(), 64);
    app.server.stop().await;
}

on_both_databases!(
    an_sm2_signing_certificate_comes_with_its_encryption_pair,
    with_the_kmc_down_nothing_is_issued_until_a_retry_completes_the_pair,
    a_renewal_may_keep_the_encryption_key_pair,
    an_envelope_for_another_certificate_is_refused,
    the_command_line_issues_the_pair_too,
    gmssl_opens_the_enveloped_key_of_the_encryption_certificate
);
