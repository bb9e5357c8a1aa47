//! The certificate assistant's binary run against a test server, with a
//! SoftHSM2 token as the USB key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use testkit::softhsm::{MODULE, PIN, Token as Usb};

use crate::TestApp;

/// The assistant's binary, next to certhall's (built once if missing, as when
/// only this package's tests are run).
pub fn assistant_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let certhall = crate::certhall_bin();
        let bin = certhall.with_file_name("certhall-assistant");
        if !bin.exists() {
            let target = certhall.parent().and_then(Path::parent).unwrap();
            let status = Command::new(env!("CARGO"))
                .args(["build", "-p", "certhall-assistant", "--target-dir"])
                .arg(target)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building certhall-assistant failed");
        }
        bin
    })
    .clone()
}

pub fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `certhall-assistant ARGS` with this token, `stdin` on its standard input.
pub fn assistant(
    conf: &Path,
    base: &str,
    args: &[String],
    stdin: &str,
    stop: Option<&str>,
) -> Output {
    let mut cmd = Command::new(assistant_bin());
    cmd.env("SOFTHSM2_CONF", conf)
        .args(["--server", base, "--module", MODULE, "--pin-stdin"])
        .args(args);
    finish(cmd, stdin, stop)
}

/// Runs `cmd` (the assistant with its flags), `stdin` on its standard input,
/// stopped after `stop` when given.
fn finish(mut cmd: Command, stdin: &str, stop: Option<&str>) -> Output {
    cmd.env_remove("CERTHALL_ASSISTANT_STOP_AFTER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(step) = stop {
        cmd.env("CERTHALL_ASSISTANT_STOP_AFTER", step);
    }
    let mut child = cmd.spawn().expect("the assistant runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs the assistant off the test's runtime (the server shares it).
pub async fn run_with(
    usb: &Usb,
    app: &TestApp,
    args: &[&str],
    stdin: &str,
    stop: Option<&str>,
) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (conf, base, stdin) = (usb.conf.clone(), app.base.clone(), stdin.to_string());
    let stop = stop.map(str::to_string);
    tokio::task::spawn_blocking(move || assistant(&conf, &base, &args, &stdin, stop.as_deref()))
        .await
        .unwrap()
}

/// Runs the assistant with the right PIN.
pub async fn run(usb: &Usb, app: &TestApp, args: &[&str], stop: Option<&str>) -> Output {
    run_with(usb, app, args, &format!("{PIN}\n"), stop).await
}

/// The single-use form link (`/handoff/…`, as a path) the assistant printed
/// (run with `--no-browser`).
pub fn printed_link(o: &Output) -> String {
    let text = out(o);
    let url = text
        .split_whitespace()
        .find(|w| w.contains("/handoff/"))
        .unwrap_or_else(|| panic!("the assistant printed no form's link: {text}"));
    url[url.find("/handoff/").unwrap()..].to_string()
}

/// The token after the assistant replaced its certificate: exactly one
/// certificate (not `old_serial`) and one private key, generated inside and
/// never extractable, the old pair and any pending key gone. Returns the
/// certificate read back out of the token with `pkcs11-tool`, as PEM.
pub fn token_certificate(app: &TestApp, usb: &Usb, old_serial: &str) -> PathBuf {
    let objects = usb.objects();
    assert_eq!(
        objects.matches("Certificate Object").count(),
        1,
        "{objects}"
    );
    assert_eq!(
        objects.matches("Private Key Object").count(),
        1,
        "{objects}"
    );
    assert!(
        !objects.contains(&format!("serial:     {old_serial}")),
        "{objects}"
    );
    assert!(
        !objects.contains("ID:         01\n"),
        "the old pair is removed:\n{objects}"
    );
    assert!(objects.contains("never extractable"), "{objects}");
    assert!(!objects.contains("certhall-pending:"), "{objects}");
    // By the label the assistant gave it ("certhall <serial>").
    let serial_in_token = objects
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("serial:"))
        .map(|s| s.trim().to_string())
        .expect("the certificate object shows its serial");
    let label = format!("certhall {serial_in_token}");
    let pem = app.path("from-token.pem");
    usb.read_certificate(&label, &pem);
    pem
}

/// The CA operator escrows the key's SO PIN (standard input, never argv);
/// returns the key's serial.
pub async fn escrow(app: &TestApp, usb: &Usb, mobile: &str) -> String {
    let token_serial = usb.serial();
    escrow_serial(app, &token_serial, mobile).await;
    token_serial
}

/// The CA operator escrows the SO PIN (an SKF key's administrator PIN,
/// 87654321 as the test keys have it) of the key with serial `token_serial`.
pub async fn escrow_serial(app: &TestApp, token_serial: &str, mobile: &str) {
    let mut child = tokio::process::Command::new(crate::certhall_bin())
        .arg("--data-dir")
        .arg(&app.settings.data_dir)
        .arg("--database-url")
        .arg(&app.settings.database_url)
        .args([
            "token",
            "escrow",
            "--serial",
            token_serial,
            "--mobile",
            mobile,
        ])
        .env("CERTHALL_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"87654321\n").await.unwrap();
    }
    let done = child.wait_with_output().await.unwrap();
    assert!(done.status.success(), "{}", out(&done));
    assert!(out(&done).contains(&mobile[7..]), "{}", out(&done));
}

/// `certhall-assistant ARGS` with the softskf keys in `keys` as the USB keys
/// (libsoftskf.so by `--skf`; SoftHSM2's module sees no token), `stdin` on
/// its standard input, stopped after `stop` when given.
pub async fn run_skf(
    keys: &testkit::softskf::Keys,
    app: &TestApp,
    args: &[&str],
    stdin: &str,
    stop: Option<&str>,
) -> Output {
    run_skf_at(keys, &app.base, args, stdin, stop).await
}

/// [`run_skf`] against the server at `base` (a stand-in, for what the real
/// one never answers).
pub async fn run_skf_at(
    keys: &testkit::softskf::Keys,
    base: &str,
    args: &[&str],
    stdin: &str,
    stop: Option<&str>,
) -> Output {
    let no_token = Usb::empty();
    run_keys(keys, &no_token, base, args, stdin, stop).await
}

/// The assistant with the softskf keys in `keys` and the SoftHSM2 token of
/// `usb` both plugged in (`--skf` and SoftHSM2's module).
pub async fn run_keys(
    keys: &testkit::softskf::Keys,
    usb: &Usb,
    base: &str,
    args: &[&str],
    stdin: &str,
    stop: Option<&str>,
) -> Output {
    let mut cmd = Command::new(assistant_bin());
    cmd.env("SOFTHSM2_CONF", &usb.conf)
        .env("SOFTSKF_DIR", keys.dir())
        .env("XDG_CONFIG_HOME", keys.dir().join("no-settings"))
        .env_remove("CERTHALL_SKF_LIBRARY")
        .args(["--server", base, "--skf"])
        .arg(testkit::softskf::library())
        .arg("--pin-stdin")
        .args(args);
    let (stdin, stop) = (stdin.to_string(), stop.map(str::to_string));
    tokio::task::spawn_blocking(move || finish(cmd, &stdin, stop.as_deref()))
        .await
        .unwrap()
}
