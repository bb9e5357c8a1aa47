//! Issuance through the real path: `POST /api/v1/ca/issue` with an operator's
//! API key (CSR checks, the row recorded before signing, the audit log in the
//! certificate's transaction), loaded by wrk. The peers sign the same CSR:
//! `cfssl serve`'s `/api/v1/cfssl/sign` (no database) under the same load,
//! and `openssl ca -batch -infiles` in one process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::load::{Measured, Wrk, post_script};
use super::ours::Server;
use super::peer_ca::{PeerCa, csr, p, write};
use super::peers::{free_port, wait_for_port};
use super::{Plan, Row, bench_error};
use crate::AppError;

/// Connections of the issuing loads (perf-anchors.md loaded cfssl with 16).
const CONNECTIONS: u32 = 16;

/// What the issuing loads send: the CSR, and our request body and wrk script.
pub struct IssueLoad {
    pub csr: PathBuf,
    script: PathBuf,
}

impl IssueLoad {
    /// An API key for a fresh operator account, and the body for it.
    pub fn new(ours: &Server, dir: &Path) -> Result<IssueLoad, AppError> {
        std::fs::create_dir_all(dir).map_err(|e| bench_error(e.to_string()))?;
        let csr = csr(dir, "issue")?;
        ours.cli(&["staff", "add", "bench.operator", "--role", "operator"])?;
        let key = ours.cli(&[
            "staff",
            "api-key",
            "bench.operator",
            "--label",
            "certhall bench",
        ])?;
        let body = dir.join("issue.json");
        write(
            &body,
            serde_json::json!({
                "csr": std::fs::read_to_string(&csr).map_err(|e| bench_error(e.to_string()))?,
                "profile": "enterprise",
                "common_name": "性能测试有限公司",
                "organization": "性能测试有限公司",
                "credit_code": "91110108551385082Q",
            })
            .to_string(),
        )?;
        let script = dir.join("issue.lua");
        let auth = format!("Bearer {}", key.trim());
        post_script(
            &script,
            &body,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &auth),
            ],
            false,
        )?;
        Ok(IssueLoad { csr, script })
    }

    pub fn run(&self, plan: &Plan, ours: &Server) -> Result<Measured, AppError> {
        let url = format!("{}/api/v1/ca/issue", ours.base);
        Wrk {
            connections: CONNECTIONS,
            ..Wrk::get(plan, &url)
        }
        .script(&self.script)
        .run(plan)
    }
}

/// Our rate at `stored` certificates against cfssl and `openssl ca`.
pub fn against_peers(
    plan: &Plan,
    load: &IssueLoad,
    ours: Measured,
    db_label: &str,
    peer: &PeerCa,
    scratch: &Path,
) -> Result<Vec<Row>, AppError> {
    let cfssl = Cfssl::start(peer, scratch)?;
    let body = scratch.join("cfssl-sign.json");
    write(
        &body,
        serde_json::json!({
            "certificate_request": std::fs::read_to_string(&load.csr)
                .map_err(|e| bench_error(e.to_string()))?,
        })
        .to_string(),
    )?;
    let script = scratch.join("cfssl-sign.lua");
    post_script(
        &script,
        &body,
        &[("Content-Type", "application/json")],
        false,
    )?;
    let url = format!("http://127.0.0.1:{}/api/v1/cfssl/sign", cfssl.port);
    let theirs = Wrk {
        connections: CONNECTIONS,
        ..Wrk::get(plan, &url)
    }
    .script(&script)
    .run(plan)?;
    drop(cfssl);
    let batch = if plan.duration.as_secs() > 1 {
        1000
    } else {
        100
    };
    let openssl_rate = peer.batch_rate(&load.csr, batch)?;
    let mut vs_cfssl = Row::new(
        format!("issue via API, {db_label}, 0 stored (certs/s)"),
        ours.rps,
        "cfssl serve /sign",
        theirs.rps,
        2.0,
    );
    vs_cfssl.p99_ms = Some(ours.p99_ms);
    let vs_openssl = Row::new(
        format!("issue via API, {db_label}, 0 stored (certs/s)"),
        ours.rps,
        "openssl ca -batch",
        openssl_rate,
        4.0,
    );
    Ok(vec![vs_cfssl, vs_openssl])
}

/// Our rate with the store full against our rate with it empty.
pub fn full_against_empty(db_label: &str, stored: i64, full: Measured, empty: Measured) -> Row {
    let mut row = Row::new(
        format!("issue via API, {db_label}, {stored} stored (certs/s)"),
        full.rps,
        "ours, 0 stored",
        empty.rps,
        0.9,
    );
    row.p99_ms = Some(full.p99_ms);
    row
}

/// `cfssl serve` with the peer CA, on loopback.
struct Cfssl {
    child: Child,
    port: u16,
}

impl Cfssl {
    fn start(peer: &PeerCa, scratch: &Path) -> Result<Cfssl, AppError> {
        let config = scratch.join("cfssl.json");
        write(
            &config,
            r#"{"signing":{"default":{"expiry":"8760h","usages":["digital signature","client auth"]}}}"#,
        )?;
        let port = free_port()?;
        let child = Command::new("cfssl")
            .args(["serve", "-loglevel", "5", "-address", "127.0.0.1", "-port"])
            .arg(port.to_string())
            .args(["-ca", &p(&peer.crt), "-ca-key", &p(&peer.key), "-config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| bench_error(format!("cfssl serve: {e}")))?;
        let cfssl = Cfssl { child, port };
        wait_for_port(port, "cfssl serve")?;
        Ok(cfssl)
    }
}

impl Drop for Cfssl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
