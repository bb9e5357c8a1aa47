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
//! Measured: issuance through the HTTP API (SQLite and PostgreSQL, with an
//! empty and a full store) against `cfssl serve` and `openssl ca`; OCSP
//! against nginx and `openssl ocsp`; CRL generation against `openssl ca
//! -gencrl`; 自助服务 and 个人中心 against nginx; the server's memory.

mod crl;
mod issuance;
mod load;
mod ocsp;
mod ours;
mod peer_ca;
mod peers;
mod postgres;
mod seed;
mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::AppError;
use crate::config::Settings;
pub use table::Row;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// About a second per benchmark: a smoke run (the test command's).
    #[arg(long)]
    pub quick: bool,
    /// Internal: publish one CRL of the data directory's CA and print the
    /// time and memory it took (the CRL benchmark runs this in a child, so
    /// that the memory figure is a clean process's).
    #[arg(long, hide = true)]
    pub publish_crl: bool,
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

/// How much the store holds for each measurement: the issue's figures, or a
/// hundredth of them for the smoke run.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    /// Certificates stored for the "full store" issuance run.
    stored: i64,
    /// Certificates issued for OCSP (and in the peer's index).
    ocsp_issued: i64,
    /// Revoked entries of the two CRLs.
    crl: [i64; 2],
    holders: i64,
    applications_per_holder: i64,
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        let scale = if quick { 100 } else { 1 };
        Sizes {
            stored: 1_000_000 / scale,
            ocsp_issued: 100_000 / scale,
            crl: [100_000 / scale, 1_000_000 / scale],
            holders: 10_000 / scale,
            applications_per_holder: 10,
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
        // CERTHALL_BENCH_KEEP=1 leaves the databases and logs for a profiler.
        if std::env::var_os("CERTHALL_BENCH_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub(crate) fn bench_error(why: impl Into<String>) -> AppError {
    AppError::Bench(why.into())
}

pub async fn run(settings: &Settings, args: &BenchArgs) -> Result<(), AppError> {
    if args.publish_crl {
        return crl::publish_here(settings).await;
    }
    let plan = Plan::new(args.quick);
    let sizes = Sizes::new(args.quick);
    peers::ensure_installed(&[
        ("wrk", "wrk"),
        ("nginx", "nginx-light"),
        ("openssl", "openssl"),
        ("cfssl", "golang-cfssl"),
        ("time", "time"),
        ("unshare", "util-linux"),
        ("ip", "iproute2"),
    ])?;
    let scratch = Scratch::new()?;
    let peer = peer_ca::PeerCa::new(scratch.path())?;
    let nginx = peers::Nginx::start(scratch.path())?;
    let mut rows = Vec::new();
    rows.extend(one_database(&plan, &sizes, &nginx, &peer, scratch.path(), None).await?);
    match postgres::ScratchDb::create().await {
        Ok(pg) => {
            let url = pg.url.clone();
            let measured =
                one_database(&plan, &sizes, &nginx, &peer, scratch.path(), Some(&url)).await;
            pg.drop_it().await;
            rows.extend(measured?);
        }
        Err(why) => rows.push(Row::failed("PostgreSQL runs", &why)),
    }
    drop(nginx);
    table::print(&rows, &plan);
    Ok(())
}

/// Everything measured on one database: SQLite (`None`, and then also OCSP,
/// CRLs and memory, which do not depend on it) or PostgreSQL.
async fn one_database(
    plan: &Plan,
    sizes: &Sizes,
    nginx: &peers::Nginx,
    peer: &peer_ca::PeerCa,
    scratch: &Path,
    database_url: Option<&str>,
) -> Result<Vec<Row>, AppError> {
    let sqlite = database_url.is_none();
    let label = if sqlite { "SQLite" } else { "PostgreSQL" };
    let dir = scratch.join(label.to_lowercase());
    let ours = ours::Server::start(scratch, &label.to_lowercase(), database_url).await?;
    let mut rows = Vec::new();
    if sqlite {
        rows.push(Row::memory("server RSS idle (MB)", ours.rss_mb(), 50.0));
    }
    let db = store::Db::connect(&ours.settings.database_url).await?;
    let now = ours.now_ms();

    let load = issuance::IssueLoad::new(&ours, &dir)?;
    let empty = load.run(plan, &ours)?;
    rows.extend(issuance::against_peers(
        plan, &load, empty, label, peer, &dir,
    )?);

    let template = seed::template(&db).await?;
    seed::issued(&db, &template, 1, sizes.ocsp_issued).await?;
    seed::holders(&db, sizes.holders, sizes.applications_per_holder, now).await?;
    let session = seed::session(&db, 0, now).await?;
    if sqlite {
        rows.extend(ocsp::ocsp(plan, &ours, nginx, peer, sizes.ocsp_issued, &dir).await?);
    }
    rows.extend(load::pages(plan, &ours, nginx, label, &session).await?);

    seed::issued(&db, &template, sizes.ocsp_issued + 1, sizes.stored).await?;
    let full = load.run(plan, &ours)?;
    rows.push(issuance::full_against_empty(
        label,
        seed::stored(&db).await?,
        full,
        empty,
    ));
    if sqlite {
        rows.push(Row::memory(
            "server RSS after the loads (MB)",
            ours.rss_mb(),
            f64::NAN,
        ));
    }
    // The CRLs are made with the server stopped, so that its own publishing
    // and the measured one do not share the two cores.
    let settings = ours.settings.clone();
    drop(ours);
    if sqlite {
        rows.extend(crl::crl(&settings, &db, peer, &sizes.crl).await?);
    }
    db.close().await;
    Ok(rows)
}
