//! `certhall bench`: the hot paths measured side by side with what an operator
//! would otherwise run, in one run on this machine (issue 9,
//! docs/PERFORMANCE.md). The machine is shared and noisy, so every figure is a
//! ratio to a peer measured moments before or after it, under the same load
//! generator (`wrk`) with the same settings.
//!
//! Everything runs on loopback and is started here: our server (the real
//! `certhall serve`, SQLite in a scratch directory), nginx serving a static
//! file of the same size as what we answer, and wrk. Missing peers are
//! installed from Debian packages (as root), or named in the error.
//!
//! Measured so far: 自助服务 against nginx, OCSP (GET and POST, good and
//! revoked) against nginx, and the server's memory. Issuance, CRL and
//! 个人中心 against their peers are still to come.

mod load;
mod ours;
mod peers;
mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::AppError;
pub use table::Row;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// About a second per benchmark: a smoke run (the test command's).
    #[arg(long)]
    pub quick: bool,
}

/// How long and how hard each measurement runs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub duration: Duration,
    /// Connections of the page and OCSP loads.
    pub connections: u32,
    pub threads: u32,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        Plan {
            duration: Duration::from_secs(if quick { 1 } else { 10 }),
            connections: 64,
            threads: 2,
        }
    }
}

/// A scratch directory, removed when the run ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, AppError> {
        let dir = std::env::temp_dir().join(format!("certhall-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| bench_error(format!("{}: {e}", dir.display())))?;
        Ok(Scratch(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn bench_error(why: impl Into<String>) -> AppError {
    AppError::Bench(why.into())
}

pub async fn run(args: &BenchArgs) -> Result<(), AppError> {
    let plan = Plan::new(args.quick);
    peers::ensure_installed(&[
        ("wrk", "wrk"),
        ("nginx", "nginx-light"),
        ("openssl", "openssl"),
    ])?;
    let scratch = Scratch::new()?;
    let ours = ours::Server::start(scratch.path()).await?;
    let idle_mb = ours.rss_mb();
    let nginx = peers::Nginx::start(scratch.path())?;
    let mut rows = Vec::new();
    rows.extend(load::pages(&plan, &ours, &nginx, scratch.path()).await?);
    rows.extend(load::ocsp(&plan, &ours, &nginx, scratch.path()).await?);
    let loaded_mb = ours.rss_mb();
    rows.push(Row::memory("server RSS idle (MB)", idle_mb, 50.0));
    rows.push(Row::memory(
        "server RSS after the loads (MB)",
        loaded_mb,
        f64::NAN,
    ));
    drop(nginx);
    drop(ours);
    table::print(&rows, &plan);
    Ok(())
}
