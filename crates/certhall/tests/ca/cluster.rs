//! Several server instances on one database: one CA hierarchy however they
//! start, and a revocation through any of them shows in every instance's OCSP
//! answers and CRL within 5 seconds.

use std::time::Duration;

use certhall::server;
use common::TestApp;
use domain::{RevocationReason, Serial};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

async fn two_instances(backend: Backend) {
    let prepared = TestApp::new().backend(backend).prepare().await;
    // Start both at once on an empty database: exactly one hierarchy results.
    let (sa, sb) = (prepared.settings.clone(), prepared.settings.clone());
    let (a, b) = tokio::join!(server::start(&sa), server::start(&sb));
    let (a, b) = (a.expect("instance A"), b.expect("instance B"));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ca_keys WHERE role = 'root'")
        .fetch_one(a.authority.db().pool())
        .await
        .unwrap();
    assert_eq!(n, 1, "one root for the cluster");
    assert_eq!(a.authority.issuing_der(), b.authority.issuing_der());
    let b_url = b.public_url.clone();
    let b_authority = b.authority.clone();
    let app = prepared.spawn().await;
    // `app` is a third instance on the same data, with the same CA.
    assert_eq!(
        app.server.authority.issuing_der(),
        a.authority.issuing_der()
    );

    let cert = app
        .issue(
            "holder",
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
    let serial_hex = openssl::serial_of(&cert);
    let issuing = app.issuing_file().await;
    let chain = app.chain_file().await;
    let ask = |url: String| {
        let issuing = issuing.clone();
        let chain = chain.clone();
        let cert = cert.clone();
        async move {
            let out = openssl::run(&[
                "ocsp",
                "-issuer",
                issuing.to_str().unwrap(),
                "-cert",
                cert.to_str().unwrap(),
                "-url",
                &format!("{url}/pki/ocsp"),
                "-CAfile",
                chain.to_str().unwrap(),
                "-no_nonce",
            ]);
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    // Warm every instance's cache with a "good" answer (no nonce: cacheable).
    for url in [&app.base, &b_url, &a.public_url] {
        assert!(ask(url.clone()).await.contains(": good"));
        assert!(ask(url.clone()).await.contains(": good"));
    }

    // Revoke through instance B; A and the third instance must follow.
    let serial = Serial::parse(&serial_hex).unwrap();
    b_authority
        .revoke(&serial, RevocationReason::CessationOfOperation, "test")
        .await
        .unwrap();
    for url in [app.base.clone(), a.public_url.clone(), b_url.clone()] {
        let took = common::eventually(Duration::from_secs(5), || {
            let url = url.clone();
            let ask = &ask;
            async move { ask(url).await.contains(": revoked") }
        })
        .await;
        assert!(took.is_some(), "{url} still says good after 5 s");
        let crl_file = app.path("cluster.crl");
        let listed = common::eventually(Duration::from_secs(5), || {
            let url = url.clone();
            let crl_file = crl_file.clone();
            let serial_hex = serial_hex.clone();
            async move {
                let bytes = reqwest::get(format!("{url}/pki/crl"))
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                std::fs::write(&crl_file, &bytes).unwrap();
                openssl::ok(&[
                    "crl",
                    "-inform",
                    "DER",
                    "-in",
                    crl_file.to_str().unwrap(),
                    "-noout",
                    "-text",
                ])
                .contains(&format!("Serial Number: {serial_hex}"))
            }
        })
        .await;
        assert!(
            listed.is_some(),
            "{url}'s CRL does not list the revocation after 5 s"
        );
    }
    // One revocation, however many instances reacted: one new CRL number.
    let (crls,): (i64,) = sqlx::query_as("SELECT CAST(MAX(number) AS BIGINT) FROM crls")
        .fetch_one(app.server.authority.db().pool())
        .await
        .unwrap();
    assert!(
        crls <= 3,
        "instances published {crls} CRLs for one revocation"
    );
    a.stop().await;
    b.stop().await;
    app.server.stop().await;
}

on_both_databases!(two_instances);
