//! The KMC's master key in an HSM (`[kmc.pkcs11]`, SoftHSM2): `certhall kmc
//! init` seals it with an AES key made inside the token (sensitive, never
//! extractable, as `pkcs11-tool` lists it) and writes no passphrase; the KMC
//! run apart on it delivers a pair the holder's key opens. The same database
//! configured with a passphrase instead, or a wrong PIN, is refused with
//! words that say what to do.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use ca::authority::kmc::KmcLink;
use common::TestApp;
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

use super::hsm::{Hsm, Killed, MODULE, PIN};

/// `[kmc]` for a KMC apart on `listen`, answering the CA of `issuing`, its
/// master key in the test token (or under a passphrase, `token` false).
fn kmc_config(listen: &str, issuing: &Path, database: &str, token: bool, pin: &str) -> String {
    let mut c = format!(
        "[kmc]\nlisten = \"{listen}\"\nca_certificate_file = \"{}\"\ndatabase_url = \"{database}\"\n",
        issuing.display()
    );
    if token {
        c.push_str(&format!(
            "[kmc.pkcs11]\nmodule = \"{MODULE}\"\ntoken_label = \"certhall-ca\"\npin = \"{pin}\"\n"
        ));
    } else {
        c.push_str("passphrase = \"a KMC passphrase, not the token\"\n");
    }
    c
}

async fn the_kmc_master_key_in_a_token(backend: Backend) {
    let hsm = Hsm::new(backend).await;
    let app = TestApp::new()
        .backend(backend)
        .algorithm(ca::KeyAlgorithm::Sm2)
        .spawn()
        .await;
    let issuing = app.issuing_file().await;
    let listen = format!("127.0.0.1:{}", common::free_port());
    let database = match backend {
        Backend::Sqlite => format!("sqlite://{}", hsm.dir.path().join("kmc.db").display()),
        Backend::Postgres => hsm.db.url.clone(),
    };
    let config = hsm.dir.path().join("kmc.toml");
    let data = hsm.dir.path().join("kmc-data");
    let certhall = || {
        let mut c = Command::new(common::certhall_bin());
        c.env("SOFTHSM2_CONF", &hsm.conf)
            .env_remove("CERTHALL_KMC_PASSPHRASE")
            .env_remove("CERTHALL_KMC_DATABASE_URL")
            .env_remove("CERTHALL_CONFIG")
            .env("CERTHALL_LOG", "warn")
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data);
        c
    };
    let run = |args: &[&str]| {
        let out = certhall().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let write_config = |token: bool, pin: &str| {
        std::fs::write(
            &config,
            kmc_config(&listen, &issuing, &database, token, pin),
        )
        .unwrap()
    };

    // A wrong PIN: refused before anything is made.
    write_config(true, "999999");
    let (ok, _, err) = run(&["kmc", "init"]);
    assert!(!ok);
    assert!(err.contains("the token refused the PIN"), "{err}");

    write_config(true, PIN);
    let (ok, key_pem, err) = run(&["kmc", "init"]);
    assert!(ok, "{err}");
    assert!(
        key_pem.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{key_pem}"
    );
    assert!(
        !data.join("kmc/passphrase").exists(),
        "with a token no passphrase is generated"
    );
    let objects = hsm.pkcs11_tool(&[
        "--login",
        "--pin",
        PIN,
        "--list-objects",
        "--type",
        "secrkey",
    ]);
    assert!(
        objects.contains("label:      certhall-sealing"),
        "{objects}"
    );
    assert!(objects.contains("never extractable"), "{objects}");

    // The CA certifies the KMC; the KMC runs apart on its token.
    let key_file = hsm.dir.path().join("kmc-key.pem");
    std::fs::write(&key_file, &key_pem).unwrap();
    let out = app
        .cli(&["ca", "certify-kmc", key_file.to_str().unwrap()])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    let bundle = common::stdout(&out);
    let kmc_cert = hsm.dir.path().join("kmc.pem");
    let first_end = bundle.find("-----END CERTIFICATE-----").unwrap() + 25;
    std::fs::write(&kmc_cert, &bundle[..first_end]).unwrap();
    let (ok, _, err) = run(&["kmc", "install", kmc_cert.to_str().unwrap()]);
    assert!(ok, "{err}");
    let serving = Killed(
        certhall()
            .args(["kmc", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let health = format!("http://{listen}/kmc/v1/health");
    let up = common::eventually(Duration::from_secs(60), || async {
        matches!(http.get(&health).send().await, Ok(r) if r.status() == 200)
    })
    .await;
    assert!(up.is_some(), "certhall kmc serve came up on its token");
    let body: String = bundle[..first_end]
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let kmc_der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let authority = app.server.authority.clone();
    authority.set_kmc(KmcLink::new(&format!("http://{listen}/kmc/v1/tasks"), &kmc_der).unwrap());

    let (holder_key, csr) = openssl::key_and_csr(app.dir.path(), "holder", KeyKind::Sm2);
    let issued = authority
        .issue(super::pairs::request("hsm-kmc-1", &csr))
        .await
        .unwrap();
    let pair = issued
        .encryption
        .expect("the KMC on its token made the pair");
    let private = pair
        .key_envelope()
        .unwrap()
        .open(&openssl::sm2_private_scalar(&holder_key))
        .unwrap();
    assert_eq!(
        pki::envelope::sm2_public_point(&private).unwrap().to_vec(),
        pair.public_key,
        "the holder's key opens the key of the encryption certificate"
    );
    drop(serving);

    // The same KMC database with a passphrase instead of the token.
    write_config(false, PIN);
    let (ok, _, err) = run(&["kmc", "init"]);
    assert!(!ok);
    assert!(
        err.contains("the master key is sealed by a PKCS#11 token: configure [kmc.pkcs11]"),
        "{err}"
    );
    app.server.stop().await;
}

on_both_databases!(the_kmc_master_key_in_a_token);
