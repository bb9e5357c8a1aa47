//! `certhall serve` as an operator runs it: zero configuration creates the data
//! directory and the CA; a bad configuration stops it with the field's name.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn certhall() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certhall"));
    for var in [
        "CERTHALL_CONFIG",
        "CERTHALL_DATABASE_URL",
        "CERTHALL_DATA_DIR",
        "CERTHALL_PUBLIC_URL",
        "CERTHALL_CA_PASSPHRASE",
    ] {
        c.env_remove(var);
    }
    c
}

#[test]
fn zero_config_serve_creates_everything() {
    let cwd = testkit::temp_dir();
    // Only the port is chosen by the test (8080 may be taken on a shared machine).
    let mut child = Killed(
        certhall()
            .current_dir(cwd.path())
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
    assert!(
        line.starts_with("certhall is serving on http://127.0.0.1:"),
        "{line}"
    );
    let url = line.split_whitespace().nth(4).unwrap().to_string();

    let data = cwd.path().join("certhall-data");
    for p in [
        "certhall.db",
        "blobs",
        "outbox",
        "outbox/mail",
        "ca/passphrase",
    ] {
        assert!(data.join(p).exists(), "{p} missing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("ca/passphrase"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the development passphrase is private");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = reqwest::get(format!("{url}/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
        let chain = reqwest::get(format!("{url}/pki/ca.pem"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        let home = reqwest::get(format!("{url}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("证书查询"));
    });

    // The CLI works on the same data while the server runs.
    let out = certhall()
        .current_dir(cwd.path())
        .args(["ca", "show"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = String::from_utf8_lossy(&out.stdout);
    assert!(show.contains("algorithm: p256"), "{show}");
    assert!(show.contains("issuing: CN=certhall Issuing CA"), "{show}");

    // A restart finds the CA it made and does not make another.
    drop(child);
    std::thread::sleep(Duration::from_millis(200));
    let out = certhall()
        .current_dir(cwd.path())
        .args(["ca", "init"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already initialised"));
}

fn refuses(config: &str, field: &str, words: &str) {
    let dir = testkit::temp_dir();
    let path = dir.path().join("certhall.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = certhall()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&path)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A configuration that is wrongly accepted would serve forever: bound the wait.
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{config} was accepted: the server started");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{config} was accepted");
    assert!(
        err.contains(&format!("configuration: {field}")),
        "{config}: {err}"
    );
    assert!(err.contains(words), "{config}: {err}");
    assert!(
        !dir.path().join("certhall-data").exists(),
        "nothing is created on bad config"
    );
}

#[test]
fn bad_configuration_is_refused_with_the_field_named() {
    refuses(
        "[server]\nlisten = \"everywhere\"\n",
        "server.listen",
        "not an address:port",
    );
    refuses(
        "[ca]\nalgorithm = \"ed25519\"\n",
        "ca.algorithm",
        "unknown key algorithm",
    );
    refuses("[ca]\nmax_years = 0\n", "ca.max_years", "between 1 and 10");
    refuses(
        "[ca]\npolicy_oid = \"not.an.oid\"\n",
        "ca.policy_oid",
        "not an object identifier",
    );
    refuses(
        "[database]\nurl = \"mysql://x\"\n",
        "database.url",
        "sqlite:// or postgres://",
    );
    refuses(
        "[ca]\nocsp_cache_seconds = 86400\n",
        "ca.ocsp_cache_seconds",
        "at most half",
    );
    refuses(
        "[ca.pkcs11]\nmodule = \"/nonexistent.so\"\ntoken_label = \"x\"\npin = \"1\"\n",
        "ca.pkcs11.module",
        "does not exist",
    );
    refuses(
        "[branding]\nhotline = \"\"\n",
        "branding.hotline",
        "must not be empty",
    );
    refuses(
        "[portal]\nrenewal_before_days = 0\n",
        "portal.renewal_before_days",
        "between 1 and 365",
    );
    refuses(
        "[portal]\nrenewal_after_days = 5000\n",
        "portal.renewal_after_days",
        "at most 3650",
    );
    refuses(
        "[ca]\nmax_years = \"five\"\n",
        "ca.max_years",
        "invalid type",
    );
    refuses(
        "[server]\nmetrics_token = \"short\"\n",
        "server.metrics_token",
        "at least 24 printable ASCII characters",
    );
    refuses(
        "[portal]\nupload_quota_mb = 5\n",
        "portal.upload_quota_mb",
        "at least portal.upload_limit_mb",
    );
    refuses(
        "[portal]\nuploads_per_hour = 0\n",
        "portal.uploads_per_hour",
        "between 1 and 10000",
    );
    refuses(
        "[server]\nlisten_on = \"127.0.0.1:1\"\n",
        "server",
        "unknown field `listen_on`",
    );
}

#[test]
fn a_database_url_that_is_not_there_is_a_clear_error() {
    let dir = testkit::temp_dir();
    let out = certhall()
        .current_dir(dir.path())
        .args([
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nothing",
            "migrate",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: the database is unavailable for now"),
        "{err}"
    );
    assert!(err.contains("caused by"), "{err}");
}
