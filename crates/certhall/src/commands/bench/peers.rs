//! The peers and the load generator: Debian's nginx and wrk, installed when
//! missing, started on loopback in the scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::bench_error;
use crate::AppError;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        || Path::new("/usr/sbin").join(program).is_file()
}

/// Installs the Debian packages of the `(program, package)` pairs whose
/// program is missing; without root, names them in the error instead.
pub fn ensure_installed(needed: &[(&str, &str)]) -> Result<(), AppError> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err(bench_error(format!(
            "missing peers: apt-get install {}",
            missing.join(" ")
        )));
    }
    eprintln!("installing {}", missing.join(" "));
    let quiet = |cmd: &mut Command| {
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !quiet(Command::new("apt-get").args(["update", "-qq"]))
        || !quiet(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&missing),
        )
    {
        return Err(bench_error(format!(
            "could not install {}",
            missing.join(" ")
        )));
    }
    Ok(())
}

/// A free port on loopback.
pub fn free_port() -> Result<u16, AppError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| bench_error(format!("no free port: {e}")))
}

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16, what: &str) -> Result<(), AppError> {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(bench_error(format!("{what} did not start on port {port}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// nginx serving the scratch directory's `www/` with keep-alive, as
/// perf-anchors.md ran it (two workers, no access log, sendfile).
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub www: PathBuf,
}

impl Nginx {
    pub fn start(scratch: &Path) -> Result<Nginx, AppError> {
        let dir = scratch.join("nginx");
        let www = dir.join("www");
        std::fs::create_dir_all(&www).map_err(|e| bench_error(e.to_string()))?;
        let port = free_port()?;
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "worker_processes 2;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{\n  access_log off;\n  sendfile on;\n  keepalive_requests 1000000;\n\
                   client_body_temp_path {d};\n  default_type application/octet-stream;\n\
                   server {{ listen 127.0.0.1:{port}; root {w}; }}\n}}\n",
                d = dir.display(),
                w = www.display()
            ),
        )
        .map_err(|e| bench_error(e.to_string()))?;
        // Workers run as nobody when started as root: they must read www/.
        let _ = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(scratch)
            .status();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| bench_error(format!("nginx: {e}")))?;
        let nginx = Nginx { child, port, www };
        wait_for_port(port, "nginx")?;
        Ok(nginx)
    }

    /// Serves `bytes` at `/name`; returns its URL.
    pub fn file(&self, name: &str, bytes: &[u8]) -> Result<String, AppError> {
        std::fs::write(self.www.join(name), bytes).map_err(|e| bench_error(e.to_string()))?;
        let _ = Command::new("chmod")
            .arg("a+r")
            .arg(self.www.join(name))
            .status();
        Ok(format!("http://127.0.0.1:{}/{name}", self.port))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: a graceful stop of the master and its workers.
        stop(&mut self.child, "-QUIT", Duration::from_secs(5));
    }
}

/// Sends `signal` to `child`, waits up to `grace` for it to end, then kills it.
pub fn stop(child: &mut Child, signal: &str, grace: Duration) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
