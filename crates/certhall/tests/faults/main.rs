//! The fault-injection suite (issue 17): real `certhall serve` processes are
//! killed with SIGKILL at seeded random moments — during concurrent issuance
//! with duplicate request ids in flight, and around the booking of a payment
//! while the gateway (`certhall paysim`, another process) outlives the server
//! and retries its notify — then restarted, and what they must keep is
//! checked: one certificate per request id, byte-identical replays of every
//! acknowledged answer, nothing left PENDING, one ledger row and one invoice
//! per paid order, no mail twice, the ledger invariant, `audit verify`
//! intact, OCSP `good` for issued certificates (asked with `openssl ocsp`),
//! and a CRL that still publishes.
//!
//! `dual`: an SM2 CA and its KMC, each killed during dual issuance.
//!
//! Every round prints its seed (run with `--nocapture` to see them):
//! `CERTHALL_FAULTS_SEED=<seed>` replays one, `CERTHALL_FAULTS=long` runs many
//! more rounds. docs/RELIABILITY.md lists what is guaranteed and where.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod dual;

use certhall::config::Settings;
use common::browser::Browser;
use serde_json::{Value, json};
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, TestDb};

/// An order's state and channel, and its invoice's mail (sent at, tries, error).
type OrderFacts = (String, Option<String>, Option<i64>, i64, Option<String>);

/// What a request id got: the HTTP status and the JSON body.
type Answer = (String, (u16, Value));

/// splitmix64: seedable, so a failing round can be run again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn long() -> bool {
    std::env::var("CERTHALL_FAULTS").as_deref() == Ok("long")
}

fn rounds(short: usize, long_rounds: usize) -> usize {
    if long() { long_rounds } else { short }
}

fn seed() -> u64 {
    std::env::var("CERTHALL_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// A `certhall serve` process on a fixed address, restarted as needed.
struct Server {
    child: Option<Child>,
    settings: Settings,
    config: PathBuf,
    listen: String,
    env: Vec<(String, String)>,
}

impl Server {
    async fn start(settings: &Settings, config: &Path, env: &[(&str, &str)]) -> Server {
        let mut s = Server {
            child: None,
            settings: settings.clone(),
            config: config.to_path_buf(),
            listen: format!("127.0.0.1:{}", common::free_port()),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        s.restart().await;
        s
    }

    fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// SIGKILL: no shutdown, nothing flushed.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn restart(&mut self) {
        self.kill();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.child = Some(common::serve_on(
            &self.settings,
            &self.config,
            &self.listen,
            None,
            &env,
        ));
        assert!(
            common::wait_healthy(&self.base(), Duration::from_secs(60)).await,
            "certhall serve did not come up on {}",
            self.listen
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn cli_ok(settings: &Settings, args: &[&str]) -> String {
    let out = common::cli(settings, args).await;
    assert!(
        out.status.success(),
        "certhall {args:?}: {}",
        common::stderr(&out)
    );
    common::stdout(&out)
}

async fn scalar(db: &store::Db, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap();
    n
}

/// One issuance request; `None` when the server did not answer (it died).
async fn issue(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    csr: &str,
    id: &str,
) -> Option<(u16, Value)> {
    let r = http
        .post(format!("{base}/api/v1/ca/issue"))
        .header("authorization", format!("Bearer {key}"))
        .json(&json!({
            "request_id": id,
            "csr": csr,
            "profile": "enterprise",
            "common_name": "故障测试有限公司",
            "organization": "故障测试有限公司",
            "credit_code": "91110108551385082Q",
            "years": 1,
        }))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.ok()?))
}

/// The certificate (PEM) of an answer, if it is one.
fn certificate(answer: &(u16, Value)) -> Option<String> {
    ((answer.0 == 200 || answer.0 == 201) && answer.1["certificate"].is_string())
        .then(|| answer.1["certificate"].as_str().unwrap().to_string())
}

/// The issuing CA (PEM) and the chain, as relying parties fetch them.
async fn ca_files(http: &reqwest::Client, base: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let get = |path: &'static str| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move { http.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    let (der, issuing, chain) = (
        dir.join("issuing.der"),
        dir.join("issuing.pem"),
        dir.join("chain.pem"),
    );
    std::fs::write(&der, get("/pki/issuing.crt").await).unwrap();
    testkit::openssl::der_to_pem(&der, &issuing);
    std::fs::write(&chain, get("/pki/ca.pem").await).unwrap();
    (issuing, chain)
}

/// OCSP for `pem`, asked with `openssl ocsp`: what it printed.
fn ocsp_status(dir: &Path, base: &str, pem: &str, name: &str, ca: &(PathBuf, PathBuf)) -> String {
    let cert = dir.join(format!("{name}.pem"));
    std::fs::write(&cert, pem).unwrap();
    let out = openssl::run(&[
        "ocsp",
        "-issuer",
        ca.0.to_str().unwrap(),
        "-cert",
        cert.to_str().unwrap(),
        "-url",
        &format!("{base}/pki/ocsp"),
        "-CAfile",
        ca.1.to_str().unwrap(),
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Concurrent issuance, each request id sent two or three times, the server
/// killed at a random moment; after a restart every id is asked again.
async fn issuance_killed(backend: Backend) {
    let seed = seed();
    let mut rng = Rng(seed);
    let db = TestDb::new(backend).await;
    let dir = testkit::temp_dir();
    let settings = common::settings(dir.path(), &db.url, ca::KeyAlgorithm::P256);
    let config = dir.path().join("faults.toml");
    std::fs::write(&config, "").unwrap();
    let mut server = Server::start(&settings, &config, &[]).await;
    cli_ok(
        &settings,
        &["staff", "add", "li.operator", "--role", "operator"],
    )
    .await;
    let key = cli_ok(
        &settings,
        &["staff", "api-key", "li.operator", "--label", "故障注入"],
    )
    .await
    .trim()
    .to_string();
    let (_, csr) = openssl::key_and_csr(dir.path(), "k", KeyKind::P256);
    let csr = std::fs::read_to_string(csr).unwrap();
    let store = store::Db::connect(&settings.database_url).await.unwrap();
    let http = reqwest::Client::new();
    const IDS: usize = 40;
    let mut all_ids = Vec::new();
    for round in 0..rounds(3, 25) {
        let ids: Vec<String> = (0..IDS).map(|i| format!("s{seed}-r{round}-{i}")).collect();
        let kill_after = Duration::from_millis(20 + rng.below(700));
        let answers = load(
            &http,
            &[server.base()],
            &key,
            &csr,
            schedule_for(&ids, &mut rng),
            async {
                tokio::time::sleep(kill_after).await;
                server.kill();
            },
        )
        .await;
        let acknowledged = acknowledged(seed, &answers);
        server.restart().await;
        // Every id again: the acknowledged ones byte for byte the same.
        let mut issued = Vec::new();
        for id in &ids {
            let a = issue(&http, &server.base(), &key, &csr, id)
                .await
                .unwrap_or_else(|| panic!("seed {seed}: {id}: no answer after the restart"));
            let pem =
                certificate(&a).unwrap_or_else(|| panic!("seed {seed}: {id}: {} {}", a.0, a.1));
            if let Some(before) = acknowledged.get(id) {
                assert_eq!(before, &pem, "seed {seed}: {id}: the replay differs");
            }
            issued.push(pem);
        }
        eprintln!(
            "faults: issuance on {backend:?}, seed {seed}, round {round}: killed after {} ms with {} answers ({} ids acknowledged); every id issued once after the restart",
            kill_after.as_millis(),
            answers.len(),
            acknowledged.len()
        );
        let ca = ca_files(&http, &server.base(), dir.path()).await;
        for (i, pem) in issued.iter().enumerate().filter(|(i, _)| i % 20 == 0) {
            let status = ocsp_status(
                dir.path(),
                &server.base(),
                pem,
                &format!("r{round}-{i}"),
                &ca,
            );
            assert!(status.contains(": good"), "seed {seed}: OCSP: {status}");
        }
        all_ids.extend(ids);
    }
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM certificates").await,
        all_ids.len() as i64,
        "seed {seed}: one certificate per request id"
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM certificates WHERE cert_der IS NULL"
        )
        .await,
        0,
        "seed {seed}: nothing left pending"
    );
    let crl = dir.path().join("crl.der");
    cli_ok(&settings, &["ca", "crl", "--out", crl.to_str().unwrap()]).await;
    openssl::ok(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        crl.to_str().unwrap(),
        "-noout",
    ]);
    cli_ok(&settings, &["audit", "verify"]).await;
    eprintln!(
        "faults: issuance on {backend:?}, seed {seed}: {} certificates, none pending, audit intact, OCSP good, CRL published",
        all_ids.len()
    );
    store.close().await;
}

/// `certhall paysim` with the server's gateway configuration; outlives the
/// server.
struct Paysim(Child);

impl Drop for Paysim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn paysim(data: &Path) -> (Paysim, String) {
    let mut child = Paysim(
        Command::new(env!("CARGO_BIN_EXE_certhall"))
            .env_remove("CERTHALL_CONFIG")
            .arg("--data-dir")
            .arg(data)
            .args([
                "paysim",
                "--listen",
                "127.0.0.1:0",
                "--retry-scale",
                "0.0005",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("platform_key_file") {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "paysim stopped: {printed}"
        );
        printed.push_str(&line);
    }
    (child, printed)
}

/// 在线新办 of a 个人证书 paid with 支付宝 at paysim, the server killed at a
/// random moment after the payment (while the notify is booked, the invoice
/// drawn or mailed); after a restart the gateway's retries finish the job.
async fn paid_flow_killed(backend: Backend) {
    let seed = seed();
    let mut rng = Rng(seed);
    let db = TestDb::new(backend).await;
    let dir = testkit::temp_dir();
    let settings = common::settings(dir.path(), &db.url, ca::KeyAlgorithm::P256);
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let (_paysim, gateway) = paysim(&settings.data_dir);
    let config = dir.path().join("faults.toml");
    std::fs::write(
        &config,
        format!("[payment]\njobs_seconds = 1\npoll_seconds = 2\n\n{gateway}"),
    )
    .unwrap();
    let v3 = std::fs::read_to_string(settings.data_dir.join("paysim/apiv3.key")).unwrap();
    let mut server = Server::start(
        &settings,
        &config,
        &[("CERTHALL_WECHAT_APIV3_KEY", v3.trim())],
    )
    .await;
    let store = store::Db::connect(&settings.database_url).await.unwrap();
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let n = rounds(3, 20);
    for round in 0..n {
        let mobile = format!("1390{:07}", seed % 10_000 * 100 + round as u64);
        let b = Browser::new(&server.base());
        let page = b
            .sign_in(&settings.data_dir, &mobile, "/selfservice/new")
            .await;
        let form = b
            .post(&page, "/apply/new", &[("cert_type", "individual")])
            .await;
        let id = form.path().split('/').nth(2).unwrap().to_string();
        let page = b
            .post(
                &form,
                &format!("/apply/{id}/form"),
                &[
                    ("common_name", "王五"),
                    ("id_number", "11010519491231002X"),
                    ("years", "1"),
                    ("medium", "own"),
                    ("contact_mobile", &mobile),
                ],
            )
            .await;
        assert!(page.path().ends_with("/materials"), "{}", page.html);
        let page = b
            .upload(
                &page,
                &format!("/apply/{id}/materials/id_card"),
                "id.png",
                common::holder::png(),
            )
            .await;
        let order = b.post(&page, &format!("/apply/{id}/submit"), &[]).await;
        let order_id = order.path().split('/').nth(2).unwrap().to_string();
        let method = common::flow::invoice_and_terms(&b, &order_id, "王五").await;
        let cashier = b
            .post(&method, &format!("/pay/{order_id}/alipay"), &[])
            .await;
        let gateway_base = cashier.url.split("/alipay/").next().unwrap().to_string();
        let (no,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT out_trade_no FROM orders WHERE id = '{order_id}'"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        let kill_after = Duration::from_millis(rng.below(800));
        let paid = raw
            .post(format!("{gateway_base}/alipay/cashier/{no}/pay"))
            .send()
            .await
            .unwrap();
        assert!(
            paid.status().is_redirection(),
            "the gateway took the payment"
        );
        tokio::time::sleep(kill_after).await;
        server.kill();
        server.restart().await;
        let done = common::eventually(Duration::from_secs(60), || async {
            scalar(
                &store,
                &format!(
                    "SELECT COUNT(*) FROM invoices i JOIN orders o ON o.id = i.order_id \
                     WHERE o.id = '{order_id}' AND o.state = 'PAID' AND i.mailed_at IS NOT NULL"
                ),
            )
            .await
                == 1
        })
        .await;
        if done.is_none() {
            let facts: Vec<OrderFacts> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT o.state, o.channel, i.mailed_at, COALESCE(i.mail_attempts, -1), i.mail_error \
                     FROM orders o LEFT JOIN invoices i ON i.order_id = o.id WHERE o.id = '{order_id}'"
                )))
                .fetch_all(store.pool())
                .await
                .unwrap();
            let ledger = scalar(
                &store,
                &format!("SELECT COUNT(*) FROM ledger WHERE order_id = '{order_id}'"),
            )
            .await;
            panic!(
                "seed {seed}, round {round}: the order was not paid, invoiced and mailed after the restart \
                 (killed {} ms after the payment): order, channel, mailed_at, attempts, error = {facts:?}; ledger rows {ledger}",
                kill_after.as_millis()
            );
        }
        for (what, sql) in [
            (
                "one ledger row",
                format!("SELECT COUNT(*) FROM ledger WHERE order_id = '{order_id}'"),
            ),
            (
                "one invoice",
                format!("SELECT COUNT(*) FROM invoices WHERE order_id = '{order_id}'"),
            ),
        ] {
            assert_eq!(
                scalar(&store, &sql).await,
                1,
                "seed {seed}, round {round}: {what}"
            );
        }
        eprintln!(
            "faults: paid flow on {backend:?}, seed {seed}, round {round}: killed {} ms after the payment; paid once, one invoice, mailed",
            kill_after.as_millis()
        );
    }
    let mails = std::fs::read_dir(settings.data_dir.join("outbox/mail"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(mails, n, "seed {seed}: no mail twice");
    common::ledger::assert_invariant_on(store.pool()).await;
    cli_ok(&settings, &["audit", "verify"]).await;
    eprintln!(
        "faults: paid flow on {backend:?}, seed {seed}: {n} orders paid once, {mails} mails, ledger invariant holds, audit intact"
    );
    store.close().await;
}

/// Sends every id of `schedule` from twelve workers, spread over `bases`,
/// while `chaos` runs; returns what was answered. A request that got no
/// answer (the server died) is dropped: the caller asks every id again.
async fn load(
    http: &reqwest::Client,
    bases: &[String],
    key: &str,
    csr: &str,
    schedule: Vec<String>,
    chaos: impl std::future::Future<Output = ()>,
) -> Vec<Answer> {
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let queue = Arc::new(Mutex::new(schedule));
    let workers: Vec<_> = (0..12)
        .map(|w| {
            let (http, key, csr) = (http.clone(), key.to_string(), csr.to_string());
            let base = bases[w % bases.len()].clone();
            let (queue, answers) = (queue.clone(), answers.clone());
            tokio::spawn(async move {
                loop {
                    let Some(id) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    match issue(&http, &base, &key, &csr, &id).await {
                        Some(a) => answers.lock().unwrap().push((id, a)),
                        None => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        })
        .collect();
    chaos.await;
    for w in workers {
        let _ = w.await;
    }
    std::mem::take(&mut *answers.lock().unwrap())
}

/// Every id two or three times, in a seeded order.
fn schedule_for(ids: &[String], rng: &mut Rng) -> Vec<String> {
    let mut schedule: Vec<String> = ids
        .iter()
        .flat_map(|id| std::iter::repeat_n(id.clone(), 2 + (rng.below(2) as usize)))
        .collect();
    for i in (1..schedule.len()).rev() {
        schedule.swap(i, rng.below(i as u64 + 1) as usize);
    }
    schedule
}

/// The acknowledged answers (2xx) per id; two for one id must agree. Every
/// other answer must be a refusal or 502/503 (a server or database down),
/// never a 500.
fn acknowledged(seed: u64, answers: &[Answer]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (id, a) in answers {
        assert!(
            a.0 < 500 || a.0 == 502 || a.0 == 503,
            "seed {seed}: {id}: {} {}",
            a.0,
            a.1
        );
        if let Some(pem) = certificate(a)
            && let Some(first) = out.insert(id.clone(), pem.clone())
        {
            assert_eq!(first, pem, "seed {seed}: {id} answered two certificates");
        }
    }
    out
}

/// Asks every id again (retrying a moment while the service comes back):
/// each gets a certificate, the acknowledged ones byte for byte the same.
async fn every_id_once(
    seed: u64,
    http: &reqwest::Client,
    base: &str,
    key: &str,
    csr: &str,
    ids: &[String],
    acked: &HashMap<String, String>,
) {
    for id in ids {
        let mut answer = None;
        for _ in 0..100 {
            match issue(http, base, key, csr, id).await {
                Some(a) if certificate(&a).is_some() => {
                    answer = certificate(&a);
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        let pem =
            answer.unwrap_or_else(|| panic!("seed {seed}: {id}: no certificate after the fault"));
        if let Some(before) = acked.get(id) {
            assert_eq!(before, &pem, "seed {seed}: {id}: the replay differs");
        }
    }
}

/// A PostgreSQL cluster of this test's own (never the shared one), which it
/// may stop and start.
struct OwnCluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl OwnCluster {
    fn start() -> Option<OwnCluster> {
        let version = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path())
            .max()?;
        let bin = version.join("bin");
        let dir = PathBuf::from(format!(
            "/tmp/certhall-faults-pg-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).ok()?;
        let owned = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .status()
            .ok()?;
        if !owned.success() {
            return None;
        }
        let port = common::free_port();
        let cluster = OwnCluster { dir, port, bin };
        let init = cluster.as_postgres(
            "initdb",
            &["-D", &cluster.data(), "-A", "trust", "-U", "postgres"],
        );
        if !init {
            return None;
        }
        cluster.pg_ctl_start().then_some(cluster)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn as_postgres(&self, program: &str, args: &[&str]) -> bool {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn pg_ctl_start(&self) -> bool {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        )
    }

    /// As a crash: no checkpoint, connections cut.
    fn stop_immediate(&self) -> bool {
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        self.stop_immediate();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL stopped (as in a crash) and started again under load: the
/// server answers 503 meanwhile, rides it out without a restart, and every
/// request id still gets one certificate.
async fn postgres_restarted_under_load() {
    let seed = seed();
    let mut rng = Rng(seed);
    let Some(cluster) = OwnCluster::start() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "a PostgreSQL cluster of the test's own needs root and PostgreSQL's binaries"
        );
        eprintln!("skipped: no PostgreSQL cluster of our own (needs root)");
        return;
    };
    let dir = testkit::temp_dir();
    let settings = common::settings(dir.path(), &cluster.url(), ca::KeyAlgorithm::P256);
    let config = dir.path().join("faults.toml");
    std::fs::write(&config, "").unwrap();
    let server = Server::start(&settings, &config, &[]).await;
    cli_ok(
        &settings,
        &["staff", "add", "li.operator", "--role", "operator"],
    )
    .await;
    let key = cli_ok(
        &settings,
        &["staff", "api-key", "li.operator", "--label", "故障注入"],
    )
    .await
    .trim()
    .to_string();
    let (_, csr) = openssl::key_and_csr(dir.path(), "k", KeyKind::P256);
    let csr = std::fs::read_to_string(csr).unwrap();
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for round in 0..rounds(2, 10) {
        let ids: Vec<String> = (0..60).map(|i| format!("pg{seed}-r{round}-{i}")).collect();
        let down_after = Duration::from_millis(50 + rng.below(500));
        let down_for = Duration::from_millis(500 + rng.below(2000));
        let answers = load(
            &http,
            &[server.base()],
            &key,
            &csr,
            schedule_for(&ids, &mut rng),
            async {
                tokio::time::sleep(down_after).await;
                assert!(cluster.stop_immediate(), "PostgreSQL did not stop");
                tokio::time::sleep(down_for).await;
                assert!(cluster.pg_ctl_start(), "PostgreSQL did not start again");
            },
        )
        .await;
        let acked = acknowledged(seed, &answers);
        let unavailable = answers.iter().filter(|(_, a)| a.0 == 503).count();
        every_id_once(seed, &http, &server.base(), &key, &csr, &ids, &acked).await;
        eprintln!(
            "faults: PostgreSQL stopped {} ms into the load for {} ms, seed {seed}, round {round}: {} answers, {unavailable} of them 503; every id issued once afterwards, no restart of certhall",
            down_after.as_millis(),
            down_for.as_millis(),
            answers.len()
        );
        all.extend(ids);
    }
    let store = store::Db::connect(&cluster.url()).await.unwrap();
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM certificates").await,
        all.len() as i64
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM certificates WHERE cert_der IS NULL"
        )
        .await,
        0
    );
    store.close().await;
    cli_ok(&settings, &["audit", "verify"]).await;
    drop(server);
}

/// nginx in front of two instances on one database; one instance is killed
/// in the middle of the load and comes back.
async fn two_instances_behind_nginx(backend: Backend) {
    let seed = seed();
    let mut rng = Rng(seed);
    let db = TestDb::new(backend).await;
    let dir = testkit::temp_dir();
    let settings = common::settings(dir.path(), &db.url, ca::KeyAlgorithm::P256);
    let config = dir.path().join("faults.toml");
    std::fs::write(&config, "").unwrap();
    let mut a = Server::start(&settings, &config, &[]).await;
    let b = Server::start(&settings, &config, &[]).await;
    let front = common::free_port();
    let conf_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&conf_dir).unwrap();
    let conf = conf_dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d};\n  proxy_temp_path {d};\n\
               upstream certhall {{ server {a}; server {b}; }}\n\
               server {{ listen 127.0.0.1:{front};\n\
                 location / {{ proxy_pass http://certhall; proxy_set_header Host $host; }} }}\n}}\n",
            d = conf_dir.display(),
            a = a.listen,
            b = b.listen,
        ),
    )
    .unwrap();
    let mut nginx = Command::new("nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(&conf_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (scripts/test installs nginx-light)");
    let front_base = format!("http://127.0.0.1:{front}");
    assert!(
        common::wait_healthy(&front_base, Duration::from_secs(20)).await,
        "nginx did not come up"
    );
    cli_ok(
        &settings,
        &["staff", "add", "li.operator", "--role", "operator"],
    )
    .await;
    let key = cli_ok(
        &settings,
        &["staff", "api-key", "li.operator", "--label", "故障注入"],
    )
    .await
    .trim()
    .to_string();
    let (_, csr) = openssl::key_and_csr(dir.path(), "k", KeyKind::P256);
    let csr = std::fs::read_to_string(csr).unwrap();
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for round in 0..rounds(2, 10) {
        let ids: Vec<String> = (0..60).map(|i| format!("ng{seed}-r{round}-{i}")).collect();
        let kill_after = Duration::from_millis(20 + rng.below(600));
        let answers = load(
            &http,
            std::slice::from_ref(&front_base),
            &key,
            &csr,
            schedule_for(&ids, &mut rng),
            async {
                tokio::time::sleep(kill_after).await;
                a.kill();
            },
        )
        .await;
        let acked = acknowledged(seed, &answers);
        a.restart().await;
        every_id_once(seed, &http, &front_base, &key, &csr, &ids, &acked).await;
        eprintln!(
            "faults: two instances behind nginx on {backend:?}, seed {seed}, round {round}: one killed after {} ms; {} answers; every id issued once",
            kill_after.as_millis(),
            answers.len()
        );
        all.extend(ids);
    }
    let _ = nginx.kill();
    let _ = nginx.wait();
    let store = store::Db::connect(&settings.database_url).await.unwrap();
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM certificates").await,
        all.len() as i64
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM certificates WHERE cert_der IS NULL"
        )
        .await,
        0
    );
    store.close().await;
    cli_ok(&settings, &["audit", "verify"]).await;
    drop(b);
}

/// Named `fault_suite::…` so the test command can run it on its own, with
/// its seeds printed.
mod fault_suite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn issuance_killed_on_sqlite() {
        issuance_killed(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn issuance_killed_on_postgres() {
        issuance_killed(Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dual_issuance_killed_on_sqlite() {
        dual::dual_issuance_killed(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dual_issuance_killed_on_postgres() {
        dual::dual_issuance_killed(Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paid_flow_killed_on_sqlite() {
        paid_flow_killed(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paid_flow_killed_on_postgres() {
        paid_flow_killed(Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_stopped_and_started_under_load() {
        postgres_restarted_under_load().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_behind_nginx_on_sqlite() {
        two_instances_behind_nginx(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_behind_nginx_on_postgres() {
        two_instances_behind_nginx(Backend::Postgres).await
    }
}
