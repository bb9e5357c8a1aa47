//! The loads: wrk against our server, then against nginx serving a file of the
//! same size as our answer (what the fastest static server does with that many
//! bytes is the bar a dynamic answer is held to).

use std::path::Path;
use std::process::Command;

use super::ours::Server;
use super::peers::Nginx;
use super::{Plan, Row, bench_error};
use crate::AppError;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub rps: f64,
    pub p99_ms: f64,
}

/// wrk's figures from its `--latency` report; an error if any answer was not
/// 2xx/3xx (a benchmark of errors measures nothing).
pub fn parse_wrk(out: &str) -> Result<Measured, String> {
    if let Some(line) = out.lines().find(|l| l.contains("Non-2xx or 3xx responses")) {
        return Err(line.trim().to_string());
    }
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or("no Requests/sec in wrk's report")?;
    let p99 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .ok_or("no 99% latency in wrk's report")?;
    let (value, scale) = if let Some(v) = p99.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = p99.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = p99.strip_suffix('s') {
        (v, 1000.0)
    } else {
        return Err(format!("unreadable latency `{p99}`"));
    };
    let p99_ms = value
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("unreadable latency `{p99}`"))?
        * scale;
    Ok(Measured { rps, p99_ms })
}

/// One wrk run with the plan's duration and threads.
pub struct Wrk<'a> {
    pub url: &'a str,
    pub connections: u32,
    /// A Lua file (a POST body, headers, or no probe connection).
    pub script: Option<&'a Path>,
    /// `Name: value` headers.
    pub headers: Vec<String>,
}

impl<'a> Wrk<'a> {
    pub fn get(plan: &Plan, url: &'a str) -> Wrk<'a> {
        Wrk {
            url,
            connections: plan.connections,
            script: None,
            headers: Vec::new(),
        }
    }

    pub fn script(mut self, script: &'a Path) -> Self {
        self.script = Some(script);
        self
    }

    pub fn run(&self, plan: &Plan) -> Result<Measured, AppError> {
        let mut cmd = Command::new("wrk");
        cmd.arg(format!("-t{}", plan.threads.min(self.connections)))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", plan.duration.as_secs()))
            .arg("--latency");
        for h in &self.headers {
            cmd.arg("-H").arg(h);
        }
        if let Some(s) = self.script {
            cmd.arg("-s").arg(s);
        }
        let out = cmd
            .arg(self.url)
            .output()
            .map_err(|e| bench_error(format!("wrk: {e}")))?;
        let text = String::from_utf8_lossy(&out.stdout);
        parse_wrk(&text).map_err(|why| bench_error(format!("wrk {}: {why}", self.url)))
    }
}

/// A wrk script that POSTs the file `body` with these headers. `no_probe`
/// keeps wrk from opening its probe connection (one that sends nothing),
/// which sends `openssl ocsp` into a busy loop (perf-anchors.md).
pub fn post_script(
    path: &Path,
    body: &Path,
    headers: &[(&str, &str)],
    no_probe: bool,
) -> Result<(), AppError> {
    let mut lua = format!(
        "local f = assert(io.open(\"{}\", \"rb\"))\nwrk.method = \"POST\"\nwrk.body = f:read(\"*a\")\nf:close()\n",
        body.display()
    );
    for (name, value) in headers {
        lua.push_str(&format!("wrk.headers[\"{name}\"] = \"{value}\"\n"));
    }
    if no_probe {
        lua.push_str(
            "wrk.resolve = function(host, service) wrk.addrs = wrk.lookup(host, service) end\n",
        );
    }
    std::fs::write(path, lua).map_err(|e| bench_error(e.to_string()))
}

pub async fn fetch(req: reqwest::RequestBuilder) -> Result<Vec<u8>, AppError> {
    let r = req.send().await.map_err(|e| bench_error(e.to_string()))?;
    if !r.status().is_success() {
        return Err(bench_error(format!("{} answered {}", r.url(), r.status())));
    }
    Ok(r.bytes()
        .await
        .map_err(|e| bench_error(e.to_string()))?
        .to_vec())
}

/// One comparison: ours against nginx serving `body`.
pub fn against_nginx(
    plan: &Plan,
    nginx: &Nginx,
    name: &str,
    ours: Measured,
    body: &[u8],
    file: &str,
    target: f64,
) -> Result<Row, AppError> {
    let url = nginx.file(file, body)?;
    let peer = Wrk::get(plan, &url).run(plan)?;
    let mut row = Row::new(
        name,
        ours.rps,
        format!("nginx, {} B file", body.len()),
        peer.rps,
        target,
    );
    row.p99_ms = Some(ours.p99_ms);
    Ok(row)
}

/// 自助服务 (图 2.2), anonymous, and 个人中心 signed in, against nginx
/// serving the same bytes: at least 25% and 10% of its rate, p99 < 20 ms.
pub async fn pages(
    plan: &Plan,
    ours: &Server,
    nginx: &Nginx,
    db_label: &str,
    session: &str,
) -> Result<Vec<Row>, AppError> {
    let mut rows = Vec::new();
    let cookie = format!("Cookie: {}={session}", web::SESSION_COOKIE);
    for (name, path, cookie, target) in [
        ("自助服务", "/selfservice", None, 0.25),
        ("个人中心", "/me", Some(cookie), 0.10),
    ] {
        let url = format!("{}{path}", ours.base);
        let mut req = reqwest::Client::new().get(&url);
        if let Some(c) = &cookie {
            req = req.header("cookie", c.trim_start_matches("Cookie: "));
        }
        let body = fetch(req).await?;
        if path == "/me" && !String::from_utf8_lossy(&body).contains("seed-app-") {
            return Err(bench_error(
                "个人中心 does not show the seeded holder's applications",
            ));
        }
        let mut load = Wrk::get(plan, &url);
        load.headers.extend(cookie);
        let measured = load.run(plan)?;
        let mut row = against_nginx(
            plan,
            nginx,
            &format!("{name} GET, {db_label} (req/s)"),
            measured,
            &body,
            &format!("page{}.html", path.replace('/', "-")),
            target,
        )?;
        row.p99_limit_ms = Some(20.0);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 1s test @ http://127.0.0.1:8080/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   689.61us  412.48us   9.71ms   91.51%
    Req/Sec    46.50k     3.06k   51.22k    70.00%
  Latency Distribution
     50%  601.00us
     75%  758.00us
     90%    0.98ms
     99%    2.41ms
  92566 requests in 1.00s, 75.09MB read
Requests/sec:  92510.13
Transfer/sec:     75.05MB
";

    #[test]
    fn reads_wrk_reports() {
        let m = parse_wrk(REPORT).unwrap();
        assert_eq!(m.rps, 92510.13);
        assert!((m.p99_ms - 2.41).abs() < 1e-9);
        let us = REPORT.replace("99%    2.41ms", "99%  812.00us");
        assert!((parse_wrk(&us).unwrap().p99_ms - 0.812).abs() < 1e-9);
        let errors = format!("{REPORT}  Non-2xx or 3xx responses: 12\n");
        assert_eq!(
            parse_wrk(&errors).unwrap_err(),
            "Non-2xx or 3xx responses: 12"
        );
        assert!(parse_wrk("nothing").is_err());
    }
}
