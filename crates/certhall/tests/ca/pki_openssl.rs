//! The CA as an outside verifier sees it: OpenSSL checks our certificates, OCSP
//! answers and CRLs, for P-256, RSA and SM2 CAs, on SQLite and PostgreSQL.

use std::path::Path;
use std::time::Duration;

use ca::KeyAlgorithm;
use common::{TestApp, stderr, stdout};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const ENTERPRISE: &[&str] = &[
    "--profile",
    "enterprise",
    "--cn",
    "张三",
    "--org",
    "合肥测试科技有限公司",
    "--credit-code",
    "91110108551385082Q",
    "--years",
    "2",
];
const INDIVIDUAL: &[&str] = &[
    "--profile",
    "individual",
    "--cn",
    "李四",
    "--id-number",
    "11010519491231002X",
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `openssl ocsp` against our responder; returns stdout + stderr.
fn ocsp_query(app: &TestApp, issuer: &Path, target: &[&str], chain: Option<&Path>) -> String {
    let url = format!("{}/pki/ocsp", app.base);
    let mut args = vec!["ocsp", "-issuer", s(issuer), "-url", &url];
    args.extend_from_slice(target);
    match chain {
        Some(c) => args.extend_from_slice(&["-CAfile", s(c)]),
        None => args.push("-noverify"),
    }
    let out = openssl::run(&args);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn interop(backend: Backend, algorithm: KeyAlgorithm, holder: KeyKind) {
    let app = TestApp::new()
        .backend(backend)
        .algorithm(algorithm)
        .spawn()
        .await;
    let chain = app.chain_file().await;
    let issuing = app.issuing_file().await;

    // An enterprise certificate verifies against the published chain.
    let cert = app.issue("enterprise", holder, ENTERPRISE).await;
    let verify = openssl::ok(&["verify", "-CAfile", s(&chain), s(&cert)]);
    assert!(verify.contains(": OK"), "{verify}");

    // Its content is the approved subject, with our profile's extensions.
    let text = openssl::ok(&[
        "x509",
        "-in",
        s(&cert),
        "-noout",
        "-text",
        "-nameopt",
        "utf8",
    ]);
    assert!(
        text.contains("Subject: C=CN, O=合肥测试科技有限公司, CN=张三"),
        "{text}"
    );
    assert!(
        !text.contains("from-the-csr"),
        "subject must not come from the CSR"
    );
    assert!(
        text.contains("Digital Signature, Non Repudiation"),
        "{text}"
    );
    assert!(
        text.contains("TLS Web Client Authentication, E-mail Protection"),
        "{text}"
    );
    assert!(
        text.contains(&format!("OCSP - URI:{}/pki/ocsp", app.base)),
        "{text}"
    );
    assert!(
        text.contains(&format!("CA Issuers - URI:{}/pki/issuing.crt", app.base)),
        "{text}"
    );
    assert!(
        text.contains(&format!("URI:{}/pki/crl", app.base)),
        "{text}"
    );
    assert!(text.contains("Policy: 1.3.6.1.4.1.32473.1.1"), "{text}");
    assert!(text.contains("1.2.156.10260.4.1.4"), "{text}");
    assert!(text.contains("91110108551385082Q"), "{text}");
    assert!(text.contains("X509v3 Subject Key Identifier"), "{text}");
    assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
    let serial = openssl::serial_of(&cert);
    assert_eq!(serial.len(), 32, "16-byte serial: {serial}");

    // An individual certificate carries the ID number extension.
    let person = app.issue("individual", holder, INDIVIDUAL).await;
    assert!(openssl::ok(&["verify", "-CAfile", s(&chain), s(&person)]).contains(": OK"));
    let ptext = openssl::ok(&[
        "x509",
        "-in",
        s(&person),
        "-noout",
        "-text",
        "-nameopt",
        "utf8",
    ]);
    assert!(ptext.contains("Subject: C=CN, CN=李四"), "{ptext}");
    assert!(ptext.contains("1.2.156.10260.4.1.1"), "{ptext}");

    // OCSP: good, verified by OpenSSL against the chain.
    let good = ocsp_query(&app, &issuing, &["-cert", s(&cert)], Some(&chain));
    assert!(good.contains("Response verify OK"), "{good}");
    assert!(good.contains(&format!("{}: good", s(&cert))), "{good}");
    // A serial we never issued is unknown.
    let unknown = ocsp_query(
        &app,
        &issuing,
        &["-serial", "0x0123456789ABCDEF"],
        Some(&chain),
    );
    assert!(unknown.contains("Response verify OK"), "{unknown}");
    assert!(unknown.contains(": unknown"), "{unknown}");

    // Revoke from the CLI while the server runs: OCSP says revoked within 5 s.
    let out = app
        .cli(&["ca", "revoke", &serial, "--reason", "keyCompromise"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("revoked {serial}")));
    let took = common::eventually(Duration::from_secs(5), || async {
        ocsp_query(&app, &issuing, &["-cert", s(&cert)], Some(&chain))
            .contains(&format!("{}: revoked", s(&cert)))
    })
    .await;
    assert!(
        took.is_some(),
        "OCSP did not report the revocation within 5 s"
    );
    let revoked = ocsp_query(&app, &issuing, &["-cert", s(&cert)], Some(&chain));
    assert!(revoked.contains("Response verify OK"), "{revoked}");
    assert!(revoked.contains("Reason: keyCompromise"), "{revoked}");
    // The other certificate is still good.
    let still = ocsp_query(&app, &issuing, &["-cert", s(&person)], Some(&chain));
    assert!(still.contains(&format!("{}: good", s(&person))), "{still}");

    // Within 5 s a freshly fetched CRL lists it, and OpenSSL verifies its signature.
    let crl = app.path("crl.der");
    let fetch_crl = || async {
        std::fs::write(&crl, app.get_bytes("/pki/crl").await).unwrap();
        let out = openssl::run(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            s(&crl),
            "-CAfile",
            s(&chain),
            "-noout",
            "-text",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "{}{}",
            stdout_of(&out),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let listed = common::eventually(Duration::from_secs(5), || async {
        fetch_crl()
            .await
            .contains(&format!("Serial Number: {serial}"))
    })
    .await;
    assert!(
        listed.is_some(),
        "the CRL did not list the revocation within 5 s"
    );
    let crl_text = fetch_crl().await;
    assert!(crl_text.contains("verify OK"), "{crl_text}");
    assert!(crl_text.contains("Key Compromise"), "{crl_text}");
    assert!(crl_text.contains("X509v3 CRL Number"), "{crl_text}");
    assert!(
        crl_text.contains("X509v3 Authority Key Identifier"),
        "{crl_text}"
    );
    assert!(crl_text.contains("Next Update"), "{crl_text}");

    // The audit log holds it all and is intact.
    let out = app.cli(&["audit", "verify"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("audit log intact"),
        "{}",
        stdout(&out)
    );
    app.server.stop().await;
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn p256_ca(backend: Backend) {
    interop(backend, KeyAlgorithm::P256, KeyKind::P256).await
}

async fn rsa2048_ca(backend: Backend) {
    interop(backend, KeyAlgorithm::Rsa2048, KeyKind::Rsa(2048)).await
}

/// (to-be-signed bytes, signature bits) of a signed DER structure.
fn split_signed(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (_, h, total) = ca::tlv::element(der).unwrap();
    let body = &der[h..total];
    let (_, _, tbs_len) = ca::tlv::element(body).unwrap();
    let tbs = body[..tbs_len].to_vec();
    let rest = &body[tbs_len..];
    let (_, _, alg_len) = ca::tlv::element(rest).unwrap();
    let rest = &rest[alg_len..];
    let (tag, sh, st) = ca::tlv::element(rest).unwrap();
    assert_eq!(tag, 0x03, "BIT STRING");
    (tbs, rest[sh + 1..st].to_vec())
}

/// The BasicOCSPResponse inside an OCSPResponse.
fn basic_response(resp: &[u8]) -> Vec<u8> {
    let (_, h, _) = ca::tlv::element(resp).unwrap();
    let body = &resp[h..];
    let (_, _, status_len) = ca::tlv::element(body).unwrap();
    let tagged = &body[status_len..]; // [0] { SEQUENCE { OID, OCTET STRING } }
    let (_, h0, _) = ca::tlv::element(tagged).unwrap();
    let seq = &tagged[h0..];
    let (_, h1, _) = ca::tlv::element(seq).unwrap();
    let inner = &seq[h1..];
    let (_, _, oid_len) = ca::tlv::element(inner).unwrap();
    let octets = &inner[oid_len..];
    let (_, oh, ot) = ca::tlv::element(octets).unwrap();
    octets[oh..ot].to_vec()
}

/// OpenSSL checks an SM2-with-SM3 signature over `tbs` with `cert_pem`'s key.
fn sm2_signature_ok(dir: &Path, name: &str, tbs: &[u8], sig: &[u8], cert_pem: &Path) {
    let tbs_p = dir.join(format!("{name}.tbs"));
    let sig_p = dir.join(format!("{name}.sig"));
    let pub_p = dir.join(format!("{name}.pub"));
    std::fs::write(&tbs_p, tbs).unwrap();
    std::fs::write(&sig_p, sig).unwrap();
    let pubkey = openssl::ok(&["x509", "-in", s(cert_pem), "-noout", "-pubkey"]);
    std::fs::write(&pub_p, pubkey).unwrap();
    let out = openssl::ok(&[
        "dgst",
        "-sm3",
        "-verify",
        s(&pub_p),
        "-sigopt",
        "distid:1234567812345678",
        "-signature",
        s(&sig_p),
        s(&tbs_p),
    ]);
    assert!(out.contains("Verified OK"), "{name}: {out}");
}

/// SM2: OpenSSL 3.0 checks each link with the standard signer ID, and SM2 CRL and
/// OCSP signatures over their TBS bytes (it cannot set the ID for those itself).
async fn sm2_ca(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .algorithm(KeyAlgorithm::Sm2)
        .spawn()
        .await;
    let dir = app.dir.path();
    let root = app.root_file().await;
    let issuing = app.issuing_file().await;
    let cert = app.issue("sm2holder", KeyKind::Sm2, ENTERPRISE).await;

    let vfy = ["-vfyopt", "distid:1234567812345678"];
    let link1 = openssl::ok(&[&["verify"][..], &vfy, &["-CAfile", s(&root), s(&issuing)]].concat());
    assert!(link1.contains(": OK"), "{link1}");
    let link2 = openssl::ok(
        &[
            &["verify"][..],
            &vfy,
            &["-partial_chain", "-CAfile", s(&issuing), s(&cert)],
        ]
        .concat(),
    );
    assert!(link2.contains(": OK"), "{link2}");
    let text = openssl::ok(&["x509", "-in", s(&cert), "-noout", "-text"]);
    assert!(text.contains("SM2-with-SM3"), "{text}");
    assert!(text.contains("ASN1 OID: SM2"), "{text}");

    // OCSP: good; the response signature is SM2 over the ResponseData.
    let resp = dir.join("good.ocsp");
    let good = ocsp_query(
        &app,
        &issuing,
        &["-cert", s(&cert), "-respout", s(&resp)],
        None,
    );
    assert!(good.contains(&format!("{}: good", s(&cert))), "{good}");
    let basic = basic_response(&std::fs::read(&resp).unwrap());
    let (tbs, sig) = split_signed(&basic);
    let responder = app.path("responder.pem");
    let der = app.server.authority.ocsp_signer().cert_der.clone();
    std::fs::write(app.path("responder.der"), &der).unwrap();
    openssl::ok(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        s(&app.path("responder.der")),
        "-out",
        s(&responder),
    ]);
    let rlink = openssl::ok(
        &[
            &["verify"][..],
            &vfy,
            &[
                "-partial_chain",
                "-purpose",
                "ocsphelper",
                "-CAfile",
                s(&issuing),
                s(&responder),
            ],
        ]
        .concat(),
    );
    assert!(rlink.contains(": OK"), "{rlink}");
    sm2_signature_ok(dir, "ocsp", &tbs, &sig, &responder);

    let unknown = ocsp_query(&app, &issuing, &["-serial", "0x0123456789ABCDEF"], None);
    assert!(unknown.contains(": unknown"), "{unknown}");

    let serial = openssl::serial_of(&cert);
    let out = app
        .cli(&["ca", "revoke", &serial, "--reason", "superseded"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let took = common::eventually(Duration::from_secs(5), || async {
        ocsp_query(&app, &issuing, &["-cert", s(&cert)], None).contains(": revoked")
    })
    .await;
    assert!(
        took.is_some(),
        "OCSP did not report the revocation within 5 s"
    );

    let crl = app.path("sm2.crl");
    let listed = common::eventually(Duration::from_secs(5), || async {
        std::fs::write(&crl, app.get_bytes("/pki/crl").await).unwrap();
        openssl::ok(&["crl", "-inform", "DER", "-in", s(&crl), "-noout", "-text"])
            .contains(&format!("Serial Number: {serial}"))
    })
    .await;
    assert!(
        listed.is_some(),
        "the CRL did not list the revocation within 5 s"
    );
    let crl_der = std::fs::read(&crl).unwrap();
    let crl_text = openssl::ok(&["crl", "-inform", "DER", "-in", s(&crl), "-noout", "-text"]);
    assert!(crl_text.contains("Superseded"), "{crl_text}");
    assert!(crl_text.contains("SM2-with-SM3"), "{crl_text}");
    let (tbs, sig) = split_signed(&crl_der);
    sm2_signature_ok(dir, "crl", &tbs, &sig, &issuing);
    app.server.stop().await;
}

on_both_databases!(p256_ca, rsa2048_ca, sm2_ca);

/// RSA-3072 once (key generation is the slow part; the paths are those of RSA-2048).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa3072_ca_on_sqlite() {
    let app = TestApp::new()
        .algorithm(KeyAlgorithm::Rsa3072)
        .spawn()
        .await;
    let chain = app.chain_file().await;
    let cert = app.issue("r", KeyKind::Rsa(3072), ENTERPRISE).await;
    assert!(openssl::ok(&["verify", "-CAfile", s(&chain), s(&cert)]).contains(": OK"));
    let text = openssl::ok(&[
        "x509",
        "-in",
        s(&app.issuing_file().await),
        "-noout",
        "-text",
    ]);
    assert!(text.contains("Public-Key: (3072 bit)"), "{text}");
    app.server.stop().await;
}
