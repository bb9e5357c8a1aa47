//! A full disk under SQLite (issue 17, finding 1): while the data directory's
//! file system is full, writes answer 503 with a clear message and `/readyz`
//! says the store cannot take writes; once space is back the next write
//! succeeds without a restart, and the database and the audit chain are
//! intact. (Before, a connection stayed inside its failed transaction holding
//! SQLite's write lock, and every write failed until a restart.)
//!
//! The data directory is a small tmpfs this test mounts (it runs as root, as
//! the test command does).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{TestApp, stderr, stdout};
use serde_json::json;
use testkit::openssl::{self, KeyKind};

/// A tmpfs of `mb` megabytes at `path`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, mb: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(path.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` to the last byte; returns the filler.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.flush();
    filler
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_come_back_after_a_full_disk() {
    let mut prepared = TestApp::new().prepare().await;
    let data = prepared.settings.data_dir.clone();
    let Some(_fs) = Tmpfs::mount(&data, 40) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "mounting a tmpfs needs root; CI runs the tests as root"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    prepared.settings.database_url = format!("sqlite://{}", data.join("certhall.db").display());
    let app = prepared.spawn().await;
    let out = app
        .cli(&["staff", "add", "li.operator", "--role", "operator"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = app
        .cli(&["staff", "api-key", "li.operator", "--label", "批量签发系统"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_string();
    let (_, csr) = openssl::key_and_csr(app.dir.path(), "k", KeyKind::P256);
    let csr = std::fs::read_to_string(csr).unwrap();
    let issue = |id: String| {
        let (http, base, key, csr) = (app.http.clone(), app.base.clone(), key.clone(), csr.clone());
        async move {
            let r = http
                .post(format!("{base}/api/v1/ca/issue"))
                .header("authorization", format!("Bearer {key}"))
                .json(&json!({
                    "request_id": id,
                    "csr": csr,
                    "profile": "enterprise",
                    "common_name": "接口测试有限公司",
                    "organization": "接口测试有限公司",
                    "credit_code": "91110108551385082Q",
                    "years": 1,
                }))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let ready = || {
        let (http, base) = (app.http.clone(), app.base.clone());
        async move {
            http.get(format!("{base}/readyz"))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    assert_eq!(issue("before".into()).await.0, 201);
    assert_eq!(ready().await, 200);

    // The disk fills up.
    let filler = fill(&data);
    let mut refused = 0;
    for i in 0..20 {
        let (status, body) = issue(format!("full-{i}")).await;
        assert!(
            status == 503 || status == 201,
            "a write on a full disk: {status} {body}"
        );
        if status == 503 {
            assert!(body.contains("服务暂时不可用，请稍后再试"), "{body}");
            refused += 1;
        }
    }
    assert!(refused > 0, "writes kept succeeding on a full disk");
    assert_eq!(ready().await, 503, "/readyz says the store is unwritable");
    // Reading still works (liveness).
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // A holder's page says so too.
    let b = common::browser::Browser::new(&app.base);
    let form = b.get("/signin").await;
    let page = b
        .post(&form, "/signin/code", &[("mobile", "13812345678")])
        .await;
    assert_eq!(page.status, 503, "{}", page.html);
    assert_eq!(page.error(), "服务暂时不可用，请稍后再试");

    // Space comes back: the next writes succeed, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let back = common::eventually(Duration::from_secs(10), || async {
        issue("after".into()).await.0 == 201
    })
    .await;
    assert!(back.is_some(), "writes did not come back within 10 s");
    assert_eq!(ready().await, 200);
    for i in 0..10 {
        assert_eq!(issue(format!("again-{i}")).await.0, 201);
    }
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(app.server.authority.db().pool())
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let verify = app.cli(&["audit", "verify"]).await;
    assert!(verify.status.success(), "{}", stderr(&verify));
    app.server.stop().await;
}
