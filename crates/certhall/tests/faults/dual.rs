//! 双证书 under faults: an SM2 CA (`certhall serve`) and its KMC (`certhall
//! kmc serve`, its own process and database) each killed with SIGKILL at
//! seeded random moments while SM2 keys are certified through the issuing
//! API, then restarted; every request id is asked again until it is
//! answered. What must hold: no signing certificate issued without its
//! encryption certificate, nothing left pending, one pair per request id
//! (acknowledged answers replayed byte for byte), and every encryption
//! certificate's key escrowed in the KMC — the same key, once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, TestDb};

use super::{Rng, Server, cli_ok, issue, load, rounds, scalar, schedule_for, seed};

/// `certhall kmc serve` on a fixed address, restarted as needed.
struct KmcProcess {
    child: Option<Child>,
    data_dir: PathBuf,
    config: PathBuf,
    listen: String,
}

impl KmcProcess {
    fn command(&self) -> Command {
        let mut cmd = Command::new(common::certhall_bin());
        cmd.arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--config")
            .arg(&self.config)
            .env_remove("CERTHALL_CONFIG")
            .env_remove("CERTHALL_DATABASE_URL")
            .env_remove("CERTHALL_KMC_DATABASE_URL")
            .env_remove("CERTHALL_KMC_PASSPHRASE")
            .env("CERTHALL_LOG", "warn");
        cmd
    }

    /// `certhall kmc ARGS`, its output.
    fn run(&self, args: &[&str]) -> String {
        let out = self.command().arg("kmc").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "certhall kmc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn restart(&mut self) {
        self.kill();
        let child = self
            .command()
            .args(["kmc", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let url = format!("http://{}/kmc/v1/health", self.listen);
        let http = reqwest::Client::new();
        let up = common::eventually(Duration::from_secs(60), || async {
            matches!(http.get(&url).send().await, Ok(r) if r.status() == 200)
        })
        .await;
        assert!(
            up.is_some(),
            "certhall kmc serve did not come up on {}",
            self.listen
        );
    }
}

impl Drop for KmcProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The PEM blocks of `text`, in order.
fn pem_blocks(text: &str) -> Vec<String> {
    let end = "-----END CERTIFICATE-----";
    text.split_inclusive(end)
        .filter(|b| b.contains(end))
        .map(|b| format!("{}\n", b.trim()))
        .collect()
}

/// The signing and encryption certificates of an answer, if it is one.
fn pair(answer: &(u16, Value)) -> Option<(String, String)> {
    let body = &answer.1;
    ((answer.0 == 200 || answer.0 == 201) && body["certificate"].is_string()).then(|| {
        (
            body["certificate"].as_str().unwrap().to_string(),
            body["encryption"]["certificate"]
                .as_str()
                .unwrap_or_else(|| panic!("a signing certificate without its pair: {body}"))
                .to_string(),
        )
    })
}

pub(super) async fn dual_issuance_killed(backend: Backend) {
    let seed = seed();
    let mut rng = Rng(seed);
    let (ca_db, kmc_db) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let dir = testkit::temp_dir();
    let ca_settings = common::settings(&dir.path().join("ca"), &ca_db.url, ca::KeyAlgorithm::Sm2);
    cli_ok(&ca_settings, &["ca", "init", "--algorithm", "sm2"]).await;

    // The KMC, apart: its keys, certified by the CA, then serving.
    let kmc_listen = format!("127.0.0.1:{}", common::free_port());
    let issuing = dir.path().join("issuing.pem");
    let kmc_config = dir.path().join("kmc.toml");
    let kmc_database = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("kmc.db").display()),
        Backend::Postgres => kmc_db.url.clone(),
    };
    std::fs::write(
        &kmc_config,
        format!(
            "[kmc]\nlisten = \"{kmc_listen}\"\nca_certificate_file = \"{}\"\n\
             database_url = \"{kmc_database}\"\npassphrase = \"a KMC passphrase for faults\"\n",
            issuing.display()
        ),
    )
    .unwrap();
    let mut kmc = KmcProcess {
        child: None,
        data_dir: dir.path().join("kmc"),
        config: kmc_config,
        listen: kmc_listen.clone(),
    };
    let key = dir.path().join("kmc-key.pem");
    std::fs::write(&key, kmc.run(&["init"])).unwrap();
    let bundle = cli_ok(&ca_settings, &["ca", "certify-kmc", key.to_str().unwrap()]).await;
    let blocks = pem_blocks(&bundle);
    assert_eq!(
        blocks.len(),
        2,
        "the KMC's certificate, then the issuing CA's: {bundle}"
    );
    let kmc_cert = dir.path().join("kmc.pem");
    std::fs::write(&kmc_cert, &blocks[0]).unwrap();
    std::fs::write(&issuing, &blocks[1]).unwrap();
    kmc.run(&["install", kmc_cert.to_str().unwrap()]);
    kmc.restart().await;

    // The CA, pointed at it.
    let ca_config = dir.path().join("ca.toml");
    std::fs::write(
        &ca_config,
        format!(
            "[ca]\nalgorithm = \"sm2\"\n[kmc]\nurl = \"http://{kmc_listen}/kmc/v1/tasks\"\n\
             certificate_file = \"{}\"\n",
            kmc_cert.display()
        ),
    )
    .unwrap();
    let mut server = Server::start(&ca_settings, &ca_config, &[]).await;
    cli_ok(
        &ca_settings,
        &["staff", "add", "li.operator", "--role", "operator"],
    )
    .await;
    let api_key = cli_ok(
        &ca_settings,
        &[
            "staff",
            "api-key",
            "li.operator",
            "--label",
            "双证书故障注入",
        ],
    )
    .await
    .trim()
    .to_string();
    let (_, csr) = openssl::key_and_csr(dir.path(), "holder", KeyKind::Sm2);
    let csr = std::fs::read_to_string(csr).unwrap();
    let http = reqwest::Client::new();

    const IDS: usize = 12;
    let mut all_ids = Vec::new();
    for round in 0..rounds(4, 20) {
        let ids: Vec<String> = (0..IDS).map(|i| format!("d{seed}-r{round}-{i}")).collect();
        let kill_after = Duration::from_millis(rng.below(600));
        let kill_kmc = rng.below(2) == 0;
        let answers = load(
            &http,
            &[server.base()],
            &api_key,
            &csr,
            schedule_for(&ids, &mut rng),
            async {
                tokio::time::sleep(kill_after).await;
                if kill_kmc {
                    kmc.kill();
                } else {
                    server.kill();
                }
            },
        )
        .await;
        let mut acked: HashMap<String, (String, String)> = HashMap::new();
        for (id, a) in &answers {
            assert!(
                a.0 < 500 || a.0 == 502 || a.0 == 503,
                "seed {seed}: {id}: {} {}",
                a.0,
                a.1
            );
            if let Some(p) = pair(a)
                && let Some(first) = acked.insert(id.clone(), p.clone())
            {
                assert_eq!(first, p, "seed {seed}: {id} answered two pairs");
            }
        }
        if kill_kmc {
            kmc.restart().await;
        } else {
            server.restart().await;
        }
        // Every id again, retried while the killed side comes back.
        for id in &ids {
            let mut got = None;
            for _ in 0..100 {
                match issue(&http, &server.base(), &api_key, &csr, id).await {
                    Some(a) if pair(&a).is_some() => {
                        got = pair(&a);
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
            let got = got.unwrap_or_else(|| panic!("seed {seed}: {id}: no pair after the fault"));
            if let Some(before) = acked.get(id) {
                assert_eq!(before, &got, "seed {seed}: {id}: the replay differs");
            }
        }
        eprintln!(
            "faults: 双证书 on {backend:?}, seed {seed}, round {round}: the {} killed after {} ms with {} answers ({} acknowledged); every id has its pair",
            if kill_kmc { "KMC" } else { "CA" },
            kill_after.as_millis(),
            answers.len(),
            acked.len()
        );
        all_ids.extend(ids);
    }

    let ca_store = store::Db::connect(&ca_settings.database_url).await.unwrap();
    let n = all_ids.len() as i64;
    assert_eq!(
        scalar(&ca_store, "SELECT COUNT(*) FROM encryption_pairs").await,
        n,
        "seed {seed}: one pair per request id"
    );
    assert_eq!(
        scalar(
            &ca_store,
            "SELECT COUNT(*) FROM certificates WHERE cert_der IS NULL"
        )
        .await,
        0,
        "seed {seed}: nothing left pending"
    );
    assert_eq!(
        scalar(
            &ca_store,
            "SELECT COUNT(*) FROM certificates c JOIN encryption_pairs p \
             ON c.serial = p.signing_serial WHERE c.state = 'ISSUED' AND NOT EXISTS \
             (SELECT 1 FROM certificates e WHERE e.serial = p.encryption_serial \
              AND e.state = 'ISSUED')"
        )
        .await,
        0,
        "seed {seed}: no signing certificate without its pair"
    );
    assert_eq!(
        scalar(
            &ca_store,
            "SELECT COUNT(*) FROM certificates WHERE state = 'ISSUED' AND profile = 'enterprise'"
        )
        .await,
        2 * n,
        "seed {seed}: two certificates per request id, nothing else"
    );
    // The KMC escrowed each encryption key once: the key the CA certified.
    let kmc_store = store::Db::connect(&kmc_database).await.unwrap();
    assert_eq!(
        scalar(&kmc_store, "SELECT COUNT(*) FROM kmc_keys").await,
        n,
        "seed {seed}: one escrowed key per pair"
    );
    let delivered: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT encryption_serial, public_key FROM encryption_pairs")
            .fetch_all(ca_store.pool())
            .await
            .unwrap();
    for (serial, public) in delivered {
        let (escrowed,): (Vec<u8>,) =
            sqlx::query_as("SELECT public_key FROM kmc_keys WHERE user_cert_no = $1")
                .bind(&serial)
                .fetch_one(kmc_store.pool())
                .await
                .unwrap_or_else(|e| panic!("seed {seed}: {serial} not escrowed: {e}"));
        assert_eq!(
            escrowed, public,
            "seed {seed}: {serial}: the escrowed key is the certified one"
        );
    }
    cli_ok(&ca_settings, &["audit", "verify"]).await;
    eprintln!(
        "faults: 双证书 on {backend:?}, seed {seed}: {n} pairs, none pending, each key escrowed once, audit intact"
    );
    ca_store.close().await;
    kmc_store.close().await;
}
