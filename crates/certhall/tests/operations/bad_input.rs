//! Bad input gets a clear error and changes nothing: every refused request is
//! checked for its message and for an unchanged database.

use std::path::Path;

use common::{TestApp, stderr};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a CLI command that must fail with `message`, leaving the database as it was.
async fn refused(app: &TestApp, args: &[&str], message: &str) {
    let before = app.snapshot().await;
    let out = app.cli(args).await;
    let err = stderr(&out);
    assert!(!out.status.success(), "`{}` should fail", args.join(" "));
    assert!(
        err.contains(message),
        "`{}`: expected “{message}”, got:\n{err}",
        args.join(" ")
    );
    assert_eq!(
        before,
        app.snapshot().await,
        "`{}` changed the database",
        args.join(" ")
    );
}

fn issue_args<'a>(csr: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["ca", "issue", "--csr", csr];
    v.extend_from_slice(rest);
    v
}

const ORG: &[&str] = &[
    "--profile",
    "enterprise",
    "--cn",
    "张三",
    "--org",
    "某公司",
    "--credit-code",
    "91110108551385082Q",
];

async fn cli_refusals(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let dir = app.dir.path();

    // Malformed CSRs: not PEM, broken PEM, not DER.
    let garbage = dir.join("garbage.csr");
    std::fs::write(&garbage, "hello, I am not a CSR").unwrap();
    refused(&app, &issue_args(s(&garbage), ORG), "malformed CSR").await;
    let bad_pem = dir.join("bad.pem");
    std::fs::write(
        &bad_pem,
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    refused(
        &app,
        &issue_args(s(&bad_pem), ORG),
        "malformed CSR: not a PEM certificate request",
    )
    .await;
    let bad_der = dir.join("bad.der");
    std::fs::write(&bad_der, [0x30, 0x82, 0x01, 0x00, 0x02, 0x01]).unwrap();
    refused(
        &app,
        &issue_args(s(&bad_der), ORG),
        "malformed CSR: not a DER certificate request",
    )
    .await;
    refused(
        &app,
        &issue_args(s(&dir.join("missing.csr")), ORG),
        "cannot read",
    )
    .await;

    // A CSR whose signature fails: flip the last byte of the signature.
    let (_, good) = openssl::key_and_csr(dir, "good", KeyKind::P256);
    let der_path = dir.join("tampered.der");
    openssl::ok(&[
        "req",
        "-in",
        s(&good),
        "-outform",
        "DER",
        "-out",
        s(&der_path),
    ]);
    let mut der = std::fs::read(&der_path).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    std::fs::write(&der_path, &der).unwrap();
    refused(
        &app,
        &issue_args(s(&der_path), ORG),
        "the CSR's signature does not verify",
    )
    .await;

    // Weak and unknown keys.
    let (_, rsa1024) = openssl::key_and_csr(dir, "rsa1024", KeyKind::Rsa(1024));
    refused(&app, &issue_args(s(&rsa1024), ORG), "RSA-1024 is too weak").await;
    let (_, k1) = openssl::key_and_csr(dir, "k1", KeyKind::Secp256k1);
    refused(&app, &issue_args(s(&k1), ORG), "unsupported elliptic curve").await;
    let (_, sm2) = openssl::key_and_csr(dir, "sm2", KeyKind::Sm2);
    refused(
        &app,
        &issue_args(s(&sm2), ORG),
        "an SM2 key cannot be certified by this p256 CA",
    )
    .await;

    // Profile and subject problems.
    let g = s(&good);
    refused(
        &app,
        &issue_args(g, &["--profile", "server", "--cn", "x"]),
        "unknown profile `server`",
    )
    .await;
    refused(
        &app,
        &issue_args(
            g,
            &["--profile", "enterprise", "--cn", "张三", "--org", "某公司"],
        ),
        "credit-code (统一社会信用代码) is required",
    )
    .await;
    refused(
        &app,
        &issue_args(
            g,
            &[
                "--profile",
                "enterprise",
                "--cn",
                "张三",
                "--credit-code",
                "91110108551385082A",
            ],
        ),
        "统一社会信用代码: 校验位不正确",
    )
    .await;
    refused(
        &app,
        &issue_args(g, &["--profile", "individual", "--cn", "李四"]),
        "id-number (身份证号) is required",
    )
    .await;
    refused(
        &app,
        &issue_args(
            g,
            &[
                "--profile",
                "individual",
                "--cn",
                "李四",
                "--id-number",
                "110105194912310021",
            ],
        ),
        "身份证号: 校验位不正确",
    )
    .await;
    refused(
        &app,
        &issue_args(
            g,
            &[
                "--profile",
                "individual",
                "--cn",
                " ",
                "--id-number",
                "11010519491231002X",
            ],
        ),
        "cn is required",
    )
    .await;
    let mut too_long = issue_args(g, ORG);
    too_long.extend_from_slice(&["--years", "9"]);
    refused(&app, &too_long, "a certificate lasts 1 to 5 years, not 9").await;
    let mut no_days = issue_args(g, ORG);
    no_days.extend_from_slice(&["--days", "0"]);
    refused(&app, &no_days, "--days: 1 to 3660").await;

    // Revocation problems.
    refused(
        &app,
        &[
            "ca",
            "revoke",
            "0123456789ABCDEF",
            "--reason",
            "keyCompromise",
        ],
        "is not one we issued",
    )
    .await;
    refused(
        &app,
        &["ca", "revoke", "not-hex", "--reason", "keyCompromise"],
        "must be hexadecimal digits",
    )
    .await;
    let cert = app.issue("target", KeyKind::P256, ORG).await;
    let serial = openssl::serial_of(&cert);
    refused(
        &app,
        &["ca", "revoke", &serial, "--reason", "stolen"],
        "unknown reason `stolen`",
    )
    .await;
    refused(
        &app,
        &["ca", "revoke", &serial, "--reason", "certificateHold"],
        "certificate hold is not supported",
    )
    .await;
    let ok = app
        .cli(&["ca", "revoke", &serial, "--reason", "superseded"])
        .await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    refused(
        &app,
        &["ca", "revoke", &serial, "--reason", "superseded"],
        "is already revoked",
    )
    .await;

    // A second hierarchy is refused.
    refused(
        &app,
        &["ca", "init", "--algorithm", "sm2"],
        "the CA is already initialised",
    )
    .await;
    refused(
        &app,
        &["ca", "init", "--algorithm", "ed448"],
        "unknown key algorithm `ed448`",
    )
    .await;
    app.server.stop().await;
}

/// The OCSP status byte of a response, and OpenSSL's reading of it.
fn ocsp_status(dir: &Path, name: &str, der: &[u8]) -> (u8, String) {
    let p = dir.join(format!("{name}.ocsp"));
    std::fs::write(&p, der).unwrap();
    let out = openssl::run(&["ocsp", "-respin", s(&p), "-resp_text", "-noverify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (der[4], text)
}

async fn http_refusals(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let dir = app.dir.path();
    let before = app.snapshot().await;

    // Garbage OCSP request: malformedRequest.
    let r = app
        .http
        .post(format!("{}/pki/ocsp", app.base))
        .header("content-type", "application/ocsp-request")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/ocsp-response");
    let (status, text) = ocsp_status(dir, "garbage", &r.bytes().await.unwrap());
    assert_eq!(status, 1);
    assert!(text.to_lowercase().contains("malformedrequest"), "{text}");

    // The same through GET with broken base64.
    let r = app.get("/pki/ocsp/%%%not-base64").await;
    let (status, _) = ocsp_status(dir, "get-garbage", &r.bytes().await.unwrap());
    assert_eq!(status, 1);

    // A request about another CA's certificate: unauthorized.
    let other_key = dir.join("other.key");
    let other = dir.join("other.pem");
    openssl::ok(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        s(&other_key),
        "-subj",
        "/CN=Some Other CA",
        "-days",
        "2",
        "-out",
        s(&other),
    ]);
    let req = dir.join("other.req");
    openssl::ok(&[
        "ocsp",
        "-issuer",
        s(&other),
        "-serial",
        "0x01",
        "-reqout",
        s(&req),
    ]);
    let r = app
        .http
        .post(format!("{}/pki/ocsp", app.base))
        .body(std::fs::read(&req).unwrap())
        .send()
        .await
        .unwrap();
    let (status, text) = ocsp_status(dir, "other", &r.bytes().await.unwrap());
    assert_eq!(status, 6);
    assert!(text.contains("unauthorized"), "{text}");

    // Queries with a malformed serial: a message, not a stack trace.
    let page = common::browser::Browser::new(&app.base)
        .get("/query?by=serial&q=xyz%21")
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.field_error("q").starts_with("序列号格式不正确"),
        "{}",
        page.field_error("q")
    );
    assert_eq!(
        page.attr("#q", "value"),
        "xyz!",
        "the page keeps what was typed"
    );
    let r = app.get("/api/v1/certificates/xyz").await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("hexadecimal"),
        "{body}"
    );
    let r = app.get("/api/v1/certificates/0123456789ABCDEF").await;
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("0123456789ABCDEF"),
        "{body}"
    );
    let r = app.get("/query/zz/download").await;
    assert_eq!(r.status(), 400);

    assert_eq!(
        before,
        app.snapshot().await,
        "refused HTTP requests changed the database"
    );
    app.server.stop().await;
}

on_both_databases!(cli_refusals, http_refusals);
