//! Our side: the real `certhall serve` (this very binary) on loopback, with its
//! data (SQLite or a scratch PostgreSQL database, the CA made on first start)
//! in the scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::bench_error;
use super::peers::free_port;
use crate::AppError;
use crate::config::{Config, Overrides, Settings};

pub struct Server {
    child: Child,
    exe: PathBuf,
    pub settings: Settings,
    pub base: String,
}

impl Server {
    /// `certhall serve` on data in `scratch/<name>`, on `database_url` (SQLite
    /// in the data directory when `None`).
    pub async fn start(
        scratch: &Path,
        name: &str,
        database_url: Option<&str>,
    ) -> Result<Server, AppError> {
        let exe = std::env::current_exe().map_err(|e| bench_error(e.to_string()))?;
        let data = scratch.join(name);
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let settings = Config::default()
            .resolve(Overrides {
                data_dir: Some(data.clone()),
                database_url: database_url.map(str::to_string),
                listen: None,
                public_url: Some(base.clone()),
            })
            .map_err(|e| bench_error(e.to_string()))?;
        let log_file = scratch.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_file).map_err(|e| bench_error(e.to_string()))?;
        let child = Command::new(&exe)
            .arg("--data-dir")
            .arg(&data)
            .args(["--database-url", &settings.database_url])
            .args(["--public-url", &base, "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("CERTHALL_LOG", "warn")
            .env_remove("CERTHALL_DATABASE_URL")
            .env_remove("CERTHALL_CONFIG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| bench_error(format!("certhall serve: {e}")))?;
        let server = Server {
            child,
            exe,
            settings,
            base,
        };
        let started = Instant::now();
        let health = format!("{}/healthz", server.base);
        loop {
            if let Ok(r) = reqwest::get(&health).await
                && r.status().is_success()
            {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(bench_error(format!(
                    "certhall serve did not come up (see {})",
                    log_file.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `certhall ARGS` on the server's data; its standard output.
    pub fn cli(&self, args: &[&str]) -> Result<String, AppError> {
        let out = Command::new(&self.exe)
            .arg("--data-dir")
            .arg(&self.settings.data_dir)
            .args(["--database-url", &self.settings.database_url])
            .args(["--public-url", &self.base])
            .args(args)
            .env("CERTHALL_LOG", "warn")
            .env_remove("CERTHALL_DATABASE_URL")
            .env_remove("CERTHALL_CONFIG")
            .output()
            .map_err(|e| bench_error(e.to_string()))?;
        if !out.status.success() {
            return Err(bench_error(format!(
                "certhall {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The server's resident memory, in MB.
    pub fn rss_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        super::peers::stop(&mut self.child, "-TERM", Duration::from_secs(10));
    }
}

impl Server {
    /// The time as the server sees it (the system clock).
    pub fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}
