//! The public pages and API as a browser or client sees them.

use common::TestApp;
use common::browser::Browser;
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

async fn query_and_download(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let cert = app
        .issue(
            "e",
            KeyKind::P256,
            &[
                "--profile",
                "enterprise",
                "--cn",
                "张三",
                "--org",
                "合肥测试科技有限公司",
                "--credit-code",
                "91110108551385082Q",
            ],
        )
        .await;
    let person = app
        .issue(
            "p",
            KeyKind::P256,
            &[
                "--profile",
                "individual",
                "--cn",
                "李四",
                "--id-number",
                "11010519491231002X",
            ],
        )
        .await;
    let serial = openssl::serial_of(&cert);
    let pserial = openssl::serial_of(&person);

    // By organisation name and by credit code: the enterprise certificate, valid.
    let b = Browser::new(&app.base);
    for q in ["合肥测试科技有限公司", "91110108551385082q"] {
        let page = b.get(&format!("/query?by=holder&q={}", urlencode(q))).await;
        assert_eq!(page.status, 200);
        // One row: the enterprise certificate (individuals are not listed by
        // name search).
        assert_eq!(
            page.texts("table.results td.serial"),
            vec![serial.clone()],
            "{q}"
        );
        assert_eq!(page.text("table.results .badge.ok"), "有效");
        page.assert_reads("table.results td", "机构证书");
        assert!(
            !page.has(&pserial),
            "individuals are not listed by name search"
        );
    }
    // Pages carry the security headers.
    let r = app.get("/query").await;
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    // Individuals by name: nothing (personal data), by serial: found.
    let page = b
        .get(&format!("/query?by=holder&q={}", urlencode("李四")))
        .await;
    assert_eq!(page.text(".empty[role=status]"), "未找到符合条件的证书。");
    let page = b.get(&format!("/query?by=serial&q={pserial}")).await;
    assert_eq!(page.texts("table.results td.serial"), vec![pserial.clone()]);
    page.assert_reads("table.results td", "李四");
    page.assert_reads("table.results td", "个人证书");
    assert!(
        !page.has("11010519491231002X"),
        "the full ID number is never shown"
    );

    // The downloads are the certificate.
    let pem = app
        .get(&format!("/query/{serial}/download?format=pem"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(pem, std::fs::read_to_string(&cert).unwrap());
    let der = app
        .get_bytes(&format!("/query/{serial}/download?format=der"))
        .await;
    let der_path = app.path("dl.cer");
    std::fs::write(&der_path, der).unwrap();
    let txt = openssl::ok(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        der_path.to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    assert_eq!(txt.trim(), format!("serial={serial}"));

    // JSON: status, masked ID number.
    let v: serde_json::Value = app
        .get(&format!("/api/v1/certificates/{pserial}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "valid");
    assert_eq!(v["subject"]["id_number"], "110***********002X");
    assert!(
        v["certificate_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    // After revocation the page and the API say so.
    let out = app
        .cli(&["ca", "revoke", &serial, "--reason", "affiliationChanged"])
        .await;
    assert!(out.status.success());
    let page = b.get(&format!("/query?q={serial}")).await;
    assert_eq!(page.text("table.results .badge.bad"), "已吊销");
    let state = page.texts("table.results td")[3].clone();
    assert!(state.contains("隶属关系变更"), "{state}");
    let v: serde_json::Value = app
        .get(&format!("/api/v1/certificates/{serial}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["revocation_reason"], "affiliationChanged");
    app.server.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const METRICS_TOKEN: &str = "scraper-token-0123456789abcdef";

async fn pki_endpoints_and_metrics(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .configure(|s| s.metrics_token = Some(METRICS_TOKEN.to_string().into()))
        .spawn()
        .await;
    for (path, ctype) in [
        ("/pki/root.crt", "application/pkix-cert"),
        ("/pki/issuing.crt", "application/pkix-cert"),
        ("/pki/crl", "application/pkix-crl"),
        ("/pki/ca.pem", "application/x-pem-file"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ctype, "{path}");
    }
    // The chain is issuing CA then root, and the root is self-signed.
    let chain = app.chain_file().await;
    let root = app.root_file().await;
    let v = openssl::ok(&[
        "verify",
        "-CAfile",
        root.to_str().unwrap(),
        app.issuing_file().await.to_str().unwrap(),
    ]);
    assert!(v.contains(": OK"), "{v}");
    let pems = std::fs::read_to_string(&chain).unwrap();
    assert_eq!(pems.matches("BEGIN CERTIFICATE").count(), 2);

    // OCSP over GET (RFC 6960 appendix A): base64 of the DER request in the path.
    let cert = app
        .issue(
            "g",
            KeyKind::P256,
            &[
                "--profile",
                "individual",
                "--cn",
                "王五",
                "--id-number",
                "11010519491231002X",
            ],
        )
        .await;
    let issuing = app.issuing_file().await;
    let req = app.path("get.req");
    openssl::ok(&[
        "ocsp",
        "-issuer",
        issuing.to_str().unwrap(),
        "-cert",
        cert.to_str().unwrap(),
        "-no_nonce",
        "-reqout",
        req.to_str().unwrap(),
    ]);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&req).unwrap());
    let r = app
        .get(&format!(
            "/pki/ocsp/{}",
            b64.replace('/', "%2F")
                .replace('+', "%2B")
                .replace('=', "%3D")
        ))
        .await;
    assert_eq!(r.headers()["content-type"], "application/ocsp-response");
    let resp = app.path("get.resp");
    std::fs::write(&resp, r.bytes().await.unwrap()).unwrap();
    let out = openssl::run(&[
        "ocsp",
        "-respin",
        resp.to_str().unwrap(),
        "-issuer",
        issuing.to_str().unwrap(),
        "-cert",
        cert.to_str().unwrap(),
        "-CAfile",
        chain.to_str().unwrap(),
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Response verify OK") && text.contains(": good"),
        "{text}"
    );

    // Issue once inside the server process so its counters move.
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "m", KeyKind::P256);
    let subject = domain::SubjectInfo::parse(
        domain::ProfileKind::Individual,
        Some("赵六"),
        None,
        None,
        Some("11010519491231002X"),
    )
    .unwrap();
    app.server
        .authority
        .issue(ca::authority::IssueRequest {
            request_id: "metrics-1".into(),
            csr: std::fs::read(&csr).unwrap(),
            subject,
            years: 1,
            not_after_ms: None,
            actor: "test".into(),
            keep_encryption_of: None,
        })
        .await
        .unwrap();
    // Not for the public (issue 16, finding 12): without the scraper's token,
    // or with another, there is no such page.
    assert_eq!(app.get("/metrics").await.status(), 404);
    for wrong in ["Bearer nope", "Bearer ", "Basic abc", METRICS_TOKEN] {
        let r = app
            .http
            .get(format!("{}/metrics", app.base))
            .header("authorization", wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{wrong}");
    }
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .header("authorization", format!("Bearer {METRICS_TOKEN}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "certhall_ocsp_requests_total{status=\"good\"}",
        "certhall_certificates_issued_total{profile=\"individual\"}",
        "certhall_issuance_seconds_count",
        "certhall_http_requests_total{method=\"GET\",route=\"/pki/ocsp/{*request}\",status=\"200\"}",
        "certhall_http_request_seconds_bucket",
    ] {
        assert!(
            metrics.contains(series),
            "{series} missing from:\n{metrics}"
        );
    }
    assert_eq!(app.get("/healthz").await.text().await.unwrap(), "ok\n");
    app.server.stop().await;
}

on_both_databases!(query_and_download, pki_endpoints_and_metrics);
