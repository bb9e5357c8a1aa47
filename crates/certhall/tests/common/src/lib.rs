//! What certhall's integration tests share, as a library of its own so that it
//! is built once and not once per test binary.
//!
//! `TestApp`: the real server on a random port, with its own data directory and
//! database, plus the real `certhall` binary for CLI steps against the same data.
//! Made with a builder: `TestApp::new()`, what differs from the defaults, then
//! `spawn()`:
//!
//! ```text
//! TestApp::new()
//!     .backend(backend)
//!     .clock(clock.clone())
//!     .priced(Business::Change, 100)
//!     .with_staff("wang.reviewer", Role::Reviewer)
//!     .spawn()
//!     .await
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

pub mod assistant;
pub mod browser;
pub mod flow;
pub mod holder;
pub mod ledger;
pub mod staff;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ca::KeyAlgorithm;
use certhall::config::{Config, Overrides, Settings};
use certhall::server::{self, RunningServer};
use domain::{Business, Clock, Fen, FixedClock, Role, SystemClock};
use tempfile::TempDir;
use testkit::{Backend, TestDb};

/// (id, state, channel, invoice, agreed_at, paid_at) of an order.
type OrderFacts = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub struct TestApp {
    pub server: RunningServer,
    pub base: String,
    pub dir: TempDir,
    /// Dropped with the app (a PostgreSQL database is dropped then).
    _db: TestDb,
    pub settings: Settings,
    pub http: reqwest::Client,
    /// The staff the builder set up, signed in ([`Builder::with_staff`]).
    staff: Vec<staff::Staff>,
}

/// The `certhall` binary cargo built next to the test binaries
/// (`target/debug/certhall`; the tests run from `target/debug/deps`).
pub fn certhall_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binaries live in target/<profile>/deps")
            .join(format!("certhall{}", std::env::consts::EXE_SUFFIX));
        assert!(
            bin.exists(),
            "{} is missing: run the tests with cargo test -p certhall",
            bin.display()
        );
        bin
    })
    .clone()
}

/// How a test's server is set up: SQLite, P-256 keys, the default prices and
/// the system clock unless told otherwise.
#[must_use = "nothing runs until spawn()"]
pub struct Builder {
    backend: Backend,
    algorithm: KeyAlgorithm,
    clock: Option<Arc<FixedClock>>,
    prices: Vec<(Business, Fen)>,
    configure: Vec<Change>,
    staff: Vec<(String, Role)>,
}

/// A change to the settings, made before the server starts.
type Change = Box<dyn FnOnce(&mut Settings) + Send>;

/// A database, a data directory and the settings for them, with no server
/// yet: for a test that starts other instances first or prepares the disk.
pub struct Prepared {
    db: TestDb,
    dir: TempDir,
    pub settings: Settings,
    clock: Option<Arc<FixedClock>>,
    staff: Vec<(String, Role)>,
}

impl TestApp {
    /// The defaults; see [`Builder`].
    #[expect(
        clippy::new_ret_no_self,
        reason = "TestApp::new() reads as what it starts; spawn() returns the TestApp"
    )]
    pub fn new() -> Builder {
        Builder {
            backend: Backend::Sqlite,
            algorithm: KeyAlgorithm::P256,
            clock: None,
            prices: Vec::new(),
            configure: Vec::new(),
            staff: Vec::new(),
        }
    }

    /// A staff member the builder set up: `with_staff(name, role)`.
    pub fn staff(&self, name: &str) -> &staff::Staff {
        self.staff
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no staff member {name} was set up with with_staff"))
    }
}

impl Builder {
    /// SQLite or PostgreSQL (what `on_both_databases!` passes).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The CA's key algorithm (P-256 otherwise).
    pub fn algorithm(mut self, algorithm: KeyAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// A clock the test moves (expiry of codes, links, sessions, orders).
    pub fn clock(mut self, clock: Arc<FixedClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// `business` costs `yuan` for every certificate type.
    pub fn priced(mut self, business: Business, yuan: i64) -> Self {
        self.prices.push((business, Fen(yuan * 100)));
        self
    }

    /// A staff account `name` of `role`, made with `certhall staff add`, set up
    /// through its link and signed in once the server runs (on the test's
    /// clock if it has one): `app.staff(name)`.
    pub fn with_staff(mut self, name: &str, role: Role) -> Self {
        self.staff.push((name.to_string(), role));
        self
    }

    /// Any other setting, changed before the server starts.
    pub fn configure(mut self, change: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// The database, directory and settings, without starting the server.
    pub async fn prepare(self) -> Prepared {
        let db = TestDb::new(self.backend).await;
        let dir = testkit::temp_dir();
        let mut settings = settings(dir.path(), &db.url, self.algorithm);
        for (business, amount) in self.prices {
            for p in settings
                .catalog
                .prices
                .iter_mut()
                .filter(|p| p.business == business)
            {
                p.amount = amount;
            }
        }
        for change in self.configure {
            change(&mut settings);
        }
        Prepared {
            db,
            dir,
            settings,
            clock: self.clock,
            staff: self.staff,
        }
    }

    /// The server, started.
    pub async fn spawn(self) -> TestApp {
        self.prepare().await.spawn().await
    }
}

impl Prepared {
    /// The server on these settings.
    pub async fn spawn(self) -> TestApp {
        let clock: Arc<dyn Clock> = match self.clock.clone() {
            Some(c) => c,
            None => Arc::new(SystemClock),
        };
        let server = server::start_with_clock(&self.settings, clock)
            .await
            .expect("server starts");
        let mut app = TestApp {
            base: server.public_url.clone(),
            server,
            dir: self.dir,
            _db: self.db,
            settings: self.settings,
            http: reqwest::Client::new(),
            staff: Vec::new(),
        };
        for (name, role) in self.staff {
            let member = match &self.clock {
                Some(c) => staff::staff_at(&app, &name, role.key(), c.now_ms()).await,
                None => staff::staff(&app, &name, role.key(), &[]).await,
            };
            app.staff.push(member);
        }
        app
    }
}

pub fn settings(dir: &Path, db_url: &str, algorithm: KeyAlgorithm) -> Settings {
    let mut s = Config::default()
        .resolve(Overrides {
            data_dir: Some(dir.join("data")),
            database_url: Some(db_url.to_string()),
            listen: Some("127.0.0.1:0".into()),
            public_url: None,
        })
        .expect("default configuration is valid");
    s.algorithm = algorithm;
    s
}

impl TestApp {
    /// What a refused payment input must not change: orders, applications, the
    /// ledger, refunds, invoices and the audit log.
    pub async fn pay_snapshot(&self) -> String {
        let pool = self.server.authority.db().pool();
        let mut out = String::new();
        let orders: Vec<OrderFacts> = sqlx::query_as(
            "SELECT id, state, channel, invoice, agreed_at, paid_at FROM orders ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        out.push_str(&format!("orders {orders:?}\n"));
        let apps: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT id, state, version FROM applications ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        out.push_str(&format!("applications {apps:?}\n"));
        for t in [
            "ledger",
            "refunds",
            "invoices",
            "audit_log",
            "bank_transfers",
        ] {
            let (n,): (i64,) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
                    .fetch_one(pool)
                    .await
                    .unwrap();
            out.push_str(&format!("{t} {n}\n"));
        }
        out
    }

    /// The applications, their history and orders, and the certificates: what
    /// a refused business input must leave as it was. (Not the CRLs: moving a
    /// test clock makes the next one due.)
    pub async fn business_snapshot(&self) -> String {
        let mut s = String::new();
        for sql in [
            "SELECT COUNT(*) FROM certificates",
            "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL",
            "SELECT COUNT(*) FROM applications",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM applications",
            "SELECT COUNT(*) FROM application_events",
            "SELECT COUNT(*) FROM orders",
            "SELECT COUNT(*) FROM pickup_codes",
            "SELECT COUNT(*) FROM shipments",
            "SELECT COUNT(*) FROM materials",
        ] {
            s.push_str(&format!("{sql} = {}\n", self.scalar(sql).await));
        }
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A number the database answers.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(self.server.authority.db().pool())
            .await
            .unwrap();
        n
    }

    /// A text the database answers.
    pub async fn text(&self, sql: &str) -> String {
        let (s,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(self.server.authority.db().pool())
            .await
            .unwrap();
        s
    }

    /// Runs `certhall` with this app's data directory and database.
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut all = vec!["--public-url", self.base.as_str()];
        all.extend_from_slice(args);
        cli(&self.settings, &all).await
    }

    /// `certhall ca issue` for a fresh key of `kind`; returns the certificate path.
    pub async fn issue(
        &self,
        name: &str,
        kind: testkit::openssl::KeyKind,
        extra: &[&str],
    ) -> PathBuf {
        let (_, csr) = testkit::openssl::key_and_csr(self.dir.path(), name, kind);
        let mut args = vec!["ca", "issue", "--csr", csr.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.cli(&args).await;
        assert!(
            out.status.success(),
            "ca issue failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cert = self.path(&format!("{name}.pem"));
        std::fs::write(&cert, &out.stdout).unwrap();
        cert
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.bytes().await.unwrap().to_vec()
    }

    /// Saves the server's chain (`/pki/ca.pem`) and returns its path.
    pub async fn chain_file(&self) -> PathBuf {
        let p = self.path("chain.pem");
        std::fs::write(&p, self.get_bytes("/pki/ca.pem").await).unwrap();
        p
    }

    /// The issuing CA certificate as PEM on disk.
    pub async fn issuing_file(&self) -> PathBuf {
        let der = self.path("issuing.der");
        std::fs::write(&der, self.get_bytes("/pki/issuing.crt").await).unwrap();
        let pem = self.path("issuing.pem");
        testkit::openssl::der_to_pem(&der, &pem);
        pem
    }

    pub async fn root_file(&self) -> PathBuf {
        let der = self.path("root.der");
        std::fs::write(&der, self.get_bytes("/pki/root.crt").await).unwrap();
        let pem = self.path("root.pem");
        testkit::openssl::ok(&[
            "x509",
            "-inform",
            "DER",
            "-in",
            der.to_str().unwrap(),
            "-out",
            pem.to_str().unwrap(),
        ]);
        pem
    }

    /// Everything a bad input must not change, as one comparable value.
    pub async fn snapshot(&self) -> String {
        snapshot(self.server.authority.db()).await
    }

    /// What a refused portal request must not change: accounts, sessions,
    /// applications and their history, materials (rows and files), hand-offs.
    pub async fn portal_snapshot(&self) -> String {
        use sqlx::Row;
        let mut out = String::new();
        for sql in [
            "SELECT COUNT(*) FROM holders",
            "SELECT COUNT(*) FROM sessions",
            "SELECT COUNT(*) FROM sessions WHERE holder_id IS NOT NULL",
            "SELECT COUNT(*) FROM applications",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM applications",
            "SELECT COUNT(*) FROM application_events",
            "SELECT COUNT(*) FROM materials",
            "SELECT COUNT(*) FROM materials WHERE replaced_at IS NULL",
            "SELECT COUNT(*) FROM handoff_links",
            "SELECT COUNT(*) FROM handoff_links WHERE used_at IS NOT NULL",
            "SELECT COUNT(*) FROM handoff_challenges WHERE used_at IS NOT NULL",
            "SELECT COUNT(*) FROM sms_codes WHERE used_at IS NOT NULL",
        ] {
            let row = sqlx::query(sql)
                .fetch_one(self.server.authority.db().pool())
                .await
                .unwrap();
            let v: i64 = row.try_get(0).unwrap();
            out.push_str(&format!("{sql} = {v}\n"));
        }
        let blobs = walk(&self.settings.data_dir.join("blobs"));
        out.push_str(&format!("blob files = {blobs}\n"));
        out
    }
}

pub async fn cli(settings: &Settings, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(certhall_bin());
    cmd.arg("--data-dir")
        .arg(&settings.data_dir)
        .arg("--database-url")
        .arg(&settings.database_url)
        .args(args)
        .env_remove("CERTHALL_CONFIG")
        .env_remove("CERTHALL_DATABASE_URL")
        .env_remove("CERTHALL_PUBLIC_URL")
        .env("CERTHALL_LOG", "warn");
    cmd.output().await.expect("run certhall")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Row counts, counters and the audit head: equal snapshots mean nothing was
/// written.
pub async fn snapshot(db: &store::Db) -> String {
    use sqlx::Row;
    let mut out = String::new();
    for sql in [
        "SELECT COUNT(*) FROM certificates",
        "SELECT COUNT(*) FROM ca_keys",
        "SELECT COUNT(*) FROM crls",
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COALESCE(MAX(revoked_at), 0) FROM certificates",
        "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL",
    ] {
        let row = sqlx::query(sql).fetch_one(db.pool()).await.unwrap();
        let v: i64 = row.try_get(0).unwrap();
        out.push_str(&format!("{sql} = {v}\n"));
    }
    let rows = sqlx::query("SELECT name, value FROM counters ORDER BY name")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for r in rows {
        let n: String = r.try_get(0).unwrap();
        let v: i64 = r.try_get(1).unwrap();
        out.push_str(&format!("counter {n} = {v}\n"));
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let (seq, hash): (i64, String) = (head.try_get(0).unwrap(), head.try_get(1).unwrap());
    out.push_str(&format!("audit head {seq} {hash}\n"));
    out
}

/// Polls `check` until it returns true or `limit` passes; returns the time taken.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The sandbox's Alipay app id (what the server's merchant side expects).
pub fn setup_app_id() -> &'static str {
    certhall::setup::SANDBOX_APP_ID
}

impl TestApp {
    /// Every row of every table but `except`, as text: equal snapshots mean
    /// nothing in those tables changed (not just their counts).
    pub async fn full_snapshot(
        &self,
        except: &[&str],
    ) -> std::collections::BTreeMap<String, String> {
        use sqlx::Row;
        let pool = self.server.authority.db().pool();
        let sqlite = self.server.authority.db().backend() == store::Backend::Sqlite;
        let tables: Vec<String> = sqlx::query(if sqlite {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'"
        } else {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE '_sqlx%'"
        })
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .filter(|t| !except.contains(&t.as_str()))
        .collect();
        let mut out = std::collections::BTreeMap::new();
        for t in tables {
            let sql = if sqlite {
                let cols: Vec<String> =
                    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({t})")))
                        .fetch_all(pool)
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| r.try_get::<String, _>(1).unwrap())
                        .collect();
                let row = cols
                    .iter()
                    .map(|c| format!("quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                format!(
                    "SELECT COALESCE(group_concat(r, char(10)), '') FROM (SELECT {row} AS r FROM {t} ORDER BY r)"
                )
            } else {
                format!(
                    "SELECT COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM {t} t"
                )
            };
            let rows: String = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            out.insert(t, rows);
        }
        out
    }
}

/// `certhall serve` as a child process on `settings`' data and database,
/// with `config` and, if given, `CERTHALL_FAULT` (it then dies at that point):
/// for crash-recovery tests, which kill and restart real processes.
pub fn serve_process(
    settings: &Settings,
    config: &Path,
    fault: Option<&str>,
) -> std::process::Child {
    serve_on(settings, config, "127.0.0.1:0", fault, &[])
}

/// The same on a given address, with more environment.
pub fn serve_on(
    settings: &Settings,
    config: &Path,
    listen: &str,
    fault: Option<&str>,
    env: &[(&str, &str)],
) -> std::process::Child {
    let mut cmd = std::process::Command::new(certhall_bin());
    cmd.arg("--data-dir")
        .arg(&settings.data_dir)
        .arg("--database-url")
        .arg(&settings.database_url)
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", listen])
        .env_remove("CERTHALL_CONFIG")
        .env("CERTHALL_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    match fault {
        Some(f) => cmd.env("CERTHALL_FAULT", f),
        None => cmd.env_remove("CERTHALL_FAULT"),
    };
    cmd.spawn().expect("certhall serve")
}

/// A free port on loopback (free a moment ago).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until a server answers `/healthz` at `base`.
pub async fn wait_healthy(base: &str, limit: Duration) -> bool {
    let http = reqwest::Client::new();
    eventually(limit, || async {
        matches!(http.get(format!("{base}/healthz")).send().await, Ok(r) if r.status() == 200)
    })
    .await
    .is_some()
}

/// Waits for a child to end on its own (a fault), at most `limit`.
pub fn died_within(child: &mut std::process::Child, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return !status.success();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}
