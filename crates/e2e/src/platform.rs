//! The platform as an operator runs it: `certhall serve` on a free port with a
//! configuration file, its own data directory and database, and the same
//! binary for command-line steps (`ca issue`, `staff add`) on the same data.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use tempfile::TempDir;
use testkit::{Backend, TestDb};

use crate::bins;

/// Branding as the manual's CA has it.
pub const PLATFORM_NAME: &str = "安徽 CA 证书网上服务平台";
pub const HOTLINE: &str = "400-880-4959";

/// A running `certhall serve`.
pub struct Platform {
    pub base: String,
    pub dir: TempDir,
    pub data: PathBuf,
    config: PathBuf,
    db_url: String,
    child: Child,
    _db: TestDb,
}

impl Platform {
    /// Starts the platform; with `change_price` (yuan), 证书变更 for an
    /// enterprise certificate costs that much (chapter 二), else it is free
    /// (chapter 三).
    pub async fn start(backend: Backend, change_price: Option<&str>) -> Platform {
        Platform::start_with(backend, change_price, "p256").await
    }

    /// [`Platform::start`] with a CA of `algorithm` (`p256`, `sm2`…), made
    /// by the first `serve` as an operator's configuration asks.
    pub async fn start_with(
        backend: Backend,
        change_price: Option<&str>,
        algorithm: &str,
    ) -> Platform {
        let db = TestDb::new(backend).await;
        let dir = testkit::temp_dir();
        let data = dir.path().join("data");
        // 下载并安装 serves a stripped copy, as a release would be: the debug
        // build is hundreds of megabytes of symbols.
        let build = dir.path().join("certhall-assistant");
        let strip = Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&build)
            .arg(bins::assistant())
            .status()
            .expect("strip (binutils) is installed");
        assert!(strip.success(), "strip failed");
        let mut config = format!(
            "[branding]\nplatform_name = \"{PLATFORM_NAME}\"\noperator = \"安徽 CA\"\n\
             hotline = \"{HOTLINE}\"\nassistant_build = \"{}\"\n",
            build.display()
        );
        if let Some(yuan) = change_price {
            config.push_str(&format!(
                "\n[[prices]]\nbusiness = \"change\"\ncert_type = \"enterprise\"\nyuan = \"{yuan}\"\n"
            ));
        }
        config.push_str(&format!("\n[ca]\nalgorithm = \"{algorithm}\"\n"));
        let config_path = dir.path().join("certhall.toml");
        std::fs::write(&config_path, config).unwrap();
        let log = dir.path().join("server.log");
        let mut cmd = command(&data, &db.url, &config_path);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("CERTHALL_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().expect("certhall serve starts");
        let stdout = child.stdout.take().unwrap();
        let first = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap_or_default();
        let Some(base) = first
            .strip_prefix("certhall is serving on ")
            .and_then(|rest| rest.split_whitespace().next())
        else {
            let _ = child.kill();
            panic!(
                "certhall serve did not start: {first}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Platform {
            base: base.to_string(),
            data,
            config: config_path,
            db_url: db.url.clone(),
            child,
            dir,
            _db: db,
        }
    }

    /// A file in the test's scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `certhall ARGS` on this platform's data, off the async runtime. The
    /// server's address is its public URL, as an operator's configuration
    /// would say (links such as a staff member's set-up link carry it).
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = command(&self.data, &self.db_url, &self.config);
        cmd.args(["--public-url", &self.base]).args(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("certhall runs"))
            .await
            .unwrap()
    }

    /// [`Platform::cli`] with `stdin` on standard input (a secret an operator
    /// types, never on the command line); fails the test if it fails.
    pub async fn cli_stdin(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let mut cmd = command(&self.data, &self.db_url, &self.config);
        cmd.args(["--public-url", &self.base])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let stdin = stdin.to_string();
        let out = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("certhall runs");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(stdin.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "certhall {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Like [`Platform::cli`], failing the test with stderr if it fails.
    pub async fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args).await;
        assert!(
            out.status.success(),
            "certhall {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The code of the newest SMS to `mobile` (the outbox stands in for the
    /// holder's phone).
    pub fn sms_code(&self, mobile: &str) -> String {
        testkit::outbox::sms_code(&self.data, mobile)
    }

    /// The CA chain and issuing certificate as PEM files, for `openssl`.
    pub async fn ca_files(&self) -> (PathBuf, PathBuf) {
        let chain = self.path("chain.pem");
        let body = reqwest::get(format!("{}/pki/ca.pem", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        std::fs::write(&chain, &body).unwrap();
        let issuing = self.path("issuing.pem");
        let first_end = body.find("-----END CERTIFICATE-----").unwrap() + 25;
        std::fs::write(&issuing, &body[..first_end]).unwrap();
        (chain, issuing)
    }

    /// OpenSSL's word on an SM2 certificate of this CA, one link at a time
    /// with the standard signer ID (OpenSSL 3.0 cannot give the ID for a
    /// whole chain): root → issuing CA, issuing CA → `cert`.
    pub async fn verify_sm2(&self, cert: &Path) {
        let (chain, issuing) = self.ca_files().await;
        let body = std::fs::read_to_string(&chain).unwrap();
        let first_end = body.find("-----END CERTIFICATE-----").unwrap() + 25;
        let root = self.path("root.pem");
        std::fs::write(&root, body[first_end..].trim_start()).unwrap();
        let s = |p: &Path| p.to_str().unwrap().to_string();
        for (ca, leaf, partial) in [
            (&root, &issuing, false),
            (&issuing, &cert.to_path_buf(), true),
        ] {
            let mut args = vec![
                "verify".to_string(),
                "-vfyopt".into(),
                "distid:1234567812345678".into(),
            ];
            if partial {
                args.push("-partial_chain".into());
            }
            args.extend(["-CAfile".into(), s(ca), s(leaf)]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = testkit::openssl::ok(&args);
            assert!(out.contains(": OK"), "{out}");
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(data: &Path, db_url: &str, config: &Path) -> Command {
    let mut cmd = Command::new(bins::certhall());
    for var in [
        "CERTHALL_CONFIG",
        "CERTHALL_DATABASE_URL",
        "CERTHALL_DATA_DIR",
        "CERTHALL_PUBLIC_URL",
        "CERTHALL_CA_PASSPHRASE",
        "CERTHALL_LISTEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.arg("--data-dir")
        .arg(data)
        .arg("--database-url")
        .arg(db_url)
        .arg("--config")
        .arg(config);
    cmd
}
