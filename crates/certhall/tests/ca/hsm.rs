//! CA keys in a PKCS#11 HSM (SoftHSM2): generated inside the token, never
//! extractable, and used for certificates, CRLs and OCSP that OpenSSL accepts.
//! `pkcs11-tool` (OpenSC) checks the token from outside.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use testkit::openssl::{self, KeyKind};
use testkit::{Backend, TestDb, on_both_databases};

pub(super) const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub(super) const PIN: &str = "246810";

pub(super) struct Hsm {
    pub(super) dir: tempfile::TempDir,
    pub(super) conf: PathBuf,
    config: PathBuf,
    pub(super) db: TestDb,
}

pub(super) struct Killed(pub(super) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Hsm {
    pub(super) async fn new(backend: Backend) -> Hsm {
        let dir = testkit::temp_dir();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &conf)
            .args([
                "--init-token",
                "--free",
                "--label",
                "certhall-ca",
                "--pin",
                PIN,
                "--so-pin",
                "13579135",
            ])
            .output()
            .expect("softhsm2-util is installed (scripts/test installs softhsm2)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.path().join("certhall.toml");
        std::fs::write(
            &config,
            format!("[ca.pkcs11]\nmodule = \"{MODULE}\"\ntoken_label = \"certhall-ca\"\npin = \"{PIN}\"\n"),
        )
        .unwrap();
        Hsm {
            db: TestDb::new(backend).await,
            dir,
            conf,
            config,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn certhall(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_certhall"));
        c.env("SOFTHSM2_CONF", &self.conf)
            .env_remove("CERTHALL_CA_PASSPHRASE")
            .env_remove("CERTHALL_PUBLIC_URL")
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data())
            .arg("--database-url")
            .arg(&self.db.url);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.certhall().args(args).output().unwrap()
    }

    pub(super) fn pkcs11_tool(&self, args: &[&str]) -> String {
        let out = Command::new("pkcs11-tool")
            .env("SOFTHSM2_CONF", &self.conf)
            .args(["--module", MODULE])
            .args(args)
            .output()
            .expect("pkcs11-tool is installed (scripts/test installs opensc)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn ca_keys_in_the_token(backend: Backend, algorithm: &str, holder: KeyKind) {
    let hsm = Hsm::new(backend).await;
    let out = hsm.run(&["ca", "init", "--algorithm", algorithm]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !hsm.data().join("ca/passphrase").exists(),
        "with an HSM no software key passphrase is needed"
    );

    // Seen from outside: three private keys, sensitive and never extractable.
    let objects = hsm.pkcs11_tool(&[
        "--login",
        "--pin",
        PIN,
        "--list-objects",
        "--type",
        "privkey",
    ]);
    assert_eq!(
        objects.matches("Private Key Object").count(),
        3,
        "{objects}"
    );
    for role in ["root", "issuing", "ocsp"] {
        assert!(
            objects.contains(&format!("label:      certhall-{role}-")),
            "{objects}"
        );
    }
    assert_eq!(objects.matches("never extractable").count(), 3, "{objects}");
    assert_eq!(objects.matches("always sensitive").count(), 3, "{objects}");

    // Serve, issue, check with OpenSSL.
    let mut child = Killed(
        hsm.certhall()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .nth(4)
        .expect("serving line")
        .to_string();
    let fetch = |path: &str| {
        let url = format!("{url}{path}");
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec()
        }
    };
    let dir = hsm.dir.path();
    let chain = dir.join("chain.pem");
    std::fs::write(&chain, fetch("/pki/ca.pem").await).unwrap();
    let issuing_der = dir.join("issuing.der");
    std::fs::write(&issuing_der, fetch("/pki/issuing.crt").await).unwrap();
    let issuing = dir.join("issuing.pem");
    openssl::ok(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        s(&issuing_der),
        "-out",
        s(&issuing),
    ]);

    let (_, csr) = openssl::key_and_csr(dir, "holder", holder);
    let out = hsm.run(&[
        "--public-url",
        &url,
        "ca",
        "issue",
        "--csr",
        s(&csr),
        "--profile",
        "enterprise",
        "--cn",
        "张三",
        "--credit-code",
        "91110108551385082Q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = dir.join("holder.pem");
    std::fs::write(&cert, &out.stdout).unwrap();
    assert!(openssl::ok(&["verify", "-CAfile", s(&chain), s(&cert)]).contains(": OK"));

    let ocsp = |expect: &'static str| {
        let (issuing, cert, chain, url) =
            (issuing.clone(), cert.clone(), chain.clone(), url.clone());
        async move {
            let out = openssl::run(&[
                "ocsp",
                "-issuer",
                s(&issuing),
                "-cert",
                s(&cert),
                "-url",
                &format!("{url}/pki/ocsp"),
                "-CAfile",
                s(&chain),
            ]);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            text.contains("Response verify OK") && text.contains(expect)
        }
    };
    assert!(ocsp(": good").await);
    let serial = openssl::serial_of(&cert);
    let out = hsm.run(&[
        "--public-url",
        &url,
        "ca",
        "revoke",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut revoked = false;
    for _ in 0..50 {
        if ocsp(": revoked").await {
            revoked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(revoked, "OCSP signed in the HSM reports the revocation");
    let crl = dir.join("hsm.crl");
    std::fs::write(&crl, fetch("/pki/crl").await).unwrap();
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
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("verify OK"), "{text}");
    drop(child);
}

async fn p256_in_hsm(backend: Backend) {
    ca_keys_in_the_token(backend, "p256", KeyKind::P256).await
}

async fn rsa2048_in_hsm(backend: Backend) {
    ca_keys_in_the_token(backend, "rsa2048", KeyKind::Rsa(2048)).await
}

on_both_databases!(p256_in_hsm, rsa2048_in_hsm);

#[tokio::test]
async fn sm2_in_a_pkcs11_token_is_refused_clearly() {
    let hsm = Hsm::new(Backend::Sqlite).await;
    let out = hsm.run(&["ca", "init", "--algorithm", "sm2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SM2 keys in a PKCS#11 token are not supported"),
        "{err}"
    );
    let out = hsm.run(&["ca", "show"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the CA is not initialised yet"));
}

#[tokio::test]
async fn a_wrong_pin_is_a_clear_error() {
    let hsm = Hsm::new(Backend::Sqlite).await;
    std::fs::write(
        &hsm.config,
        format!(
            "[ca.pkcs11]\nmodule = \"{MODULE}\"\ntoken_label = \"certhall-ca\"\npin = \"999999\"\n"
        ),
    )
    .unwrap();
    let out = hsm.run(&["ca", "init"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the token refused the PIN"));
    std::fs::write(
        &hsm.config,
        format!(
            "[ca.pkcs11]\nmodule = \"{MODULE}\"\ntoken_label = \"no-such-token\"\npin = \"{PIN}\"\n"
        ),
    )
    .unwrap();
    let out = hsm.run(&["ca", "init"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no initialised token labelled `no-such-token`")
    );
}
