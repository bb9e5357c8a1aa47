//! The loads: wrk against our server, then against nginx serving a file of the
//! same size as our answer (what the fastest static server does with that many
//! bytes is the bar a dynamic answer is held to).

use std::path::Path;
use std::process::Command;

use base64::Engine;

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
fn parse_wrk(out: &str) -> Result<Measured, String> {
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

/// wrk with the plan's settings against `url` (`script`: a Lua file).
fn wrk(plan: &Plan, url: &str, script: Option<&Path>) -> Result<Measured, AppError> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", plan.threads))
        .arg(format!("-c{}", plan.connections))
        .arg(format!("-d{}s", plan.duration.as_secs()))
        .arg("--latency");
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd
        .arg(url)
        .output()
        .map_err(|e| bench_error(format!("wrk: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).map_err(|why| bench_error(format!("wrk {url}: {why}")))
}

async fn fetch(req: reqwest::RequestBuilder) -> Result<Vec<u8>, AppError> {
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
fn against_nginx(
    plan: &Plan,
    nginx: &Nginx,
    name: &str,
    ours: Measured,
    body: &[u8],
    file: &str,
    target: f64,
) -> Result<Row, AppError> {
    let peer = wrk(plan, &nginx.file(file, body)?, None)?;
    Ok(Row {
        name: name.into(),
        ours: ours.rps,
        peer_name: format!("nginx, {} B file", body.len()),
        peer: peer.rps,
        target_ratio: target,
        limit: None,
        p99_ms: Some(ours.p99_ms),
    })
}

/// 自助服务 (图 2.2), anonymous, against nginx: ≥ 25% of its rate.
pub async fn pages(
    plan: &Plan,
    ours: &Server,
    nginx: &Nginx,
    _scratch: &Path,
) -> Result<Vec<Row>, AppError> {
    let url = format!("{}/selfservice", ours.base);
    let body = fetch(reqwest::Client::new().get(&url)).await?;
    let measured = wrk(plan, &url, None)?;
    Ok(vec![against_nginx(
        plan,
        nginx,
        "自助服务 GET (req/s)",
        measured,
        &body,
        "selfservice.html",
        0.25,
    )?])
}

fn openssl(args: &[&str]) -> Result<String, AppError> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| bench_error(format!("openssl: {e}")))?;
    if !out.status.success() {
        return Err(bench_error(format!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A certificate of ours for a fresh P-256 key: its PEM file and serial.
fn certificate(ours: &Server, dir: &Path, name: &str) -> Result<(String, String), AppError> {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &key.display().to_string(),
        "-subj",
        &format!("/CN={name}"),
        "-out",
        &csr.display().to_string(),
    ])?;
    let pem = ours.cli(&[
        "ca",
        "issue",
        "--csr",
        &csr.display().to_string(),
        "--profile",
        "enterprise",
        "--cn",
        name,
        "--org",
        "性能测试有限公司",
        "--credit-code",
        "91110108551385082Q",
    ])?;
    let file = dir.join(format!("{name}.pem"));
    std::fs::write(&file, pem).map_err(|e| bench_error(e.to_string()))?;
    let file = file.display().to_string();
    let serial = openssl(&["x509", "-in", &file, "-noout", "-serial"])?
        .trim()
        .trim_start_matches("serial=")
        .to_string();
    Ok((file, serial))
}

/// OCSP, GET and POST, for a good and a revoked certificate, against nginx
/// serving an answer of the same size: ≥ 50% of its rate.
pub async fn ocsp(
    plan: &Plan,
    ours: &Server,
    nginx: &Nginx,
    scratch: &Path,
) -> Result<Vec<Row>, AppError> {
    let dir = scratch.join("ocsp");
    std::fs::create_dir_all(&dir).map_err(|e| bench_error(e.to_string()))?;
    let http = reqwest::Client::new();
    let issuing_der = fetch(http.get(format!("{}/pki/issuing.crt", ours.base))).await?;
    let issuing = dir.join("issuing");
    std::fs::write(issuing.with_extension("der"), issuing_der)
        .map_err(|e| bench_error(e.to_string()))?;
    openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &issuing.with_extension("der").display().to_string(),
        "-out",
        &issuing.with_extension("pem").display().to_string(),
    ])?;
    let (good, _) = certificate(ours, &dir, "good")?;
    let (revoked, serial) = certificate(ours, &dir, "revoked")?;
    ours.cli(&["ca", "revoke", &serial, "--reason", "keyCompromise"])?;
    let mut rows = Vec::new();
    for (status, cert) in [("good", &good), ("revoked", &revoked)] {
        let req = dir.join(format!("{status}.req"));
        openssl(&[
            "ocsp",
            "-issuer",
            &issuing.with_extension("pem").display().to_string(),
            "-cert",
            cert,
            "-no_nonce",
            "-reqout",
            &req.display().to_string(),
        ])?;
        let req_der = std::fs::read(&req).map_err(|e| bench_error(e.to_string()))?;
        let post_url = format!("{}/pki/ocsp", ours.base);
        let answer = fetch(
            http.post(&post_url)
                .header("content-type", "application/ocsp-request")
                .body(req_der.clone()),
        )
        .await?;
        let script = dir.join(format!("{status}.lua"));
        std::fs::write(
            &script,
            format!(
                "local f = assert(io.open(\"{}\", \"rb\"))\nwrk.method = \"POST\"\nwrk.body = f:read(\"*a\")\nf:close()\nwrk.headers[\"Content-Type\"] = \"application/ocsp-request\"\n",
                req.display()
            ),
        )
        .map_err(|e| bench_error(e.to_string()))?;
        let post = wrk(plan, &post_url, Some(&script))?;
        rows.push(against_nginx(
            plan,
            nginx,
            &format!("OCSP POST, {status} (resp/s)"),
            post,
            &answer,
            &format!("ocsp-{status}.der"),
            0.5,
        )?);
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(&req_der)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let get = wrk(plan, &format!("{}/pki/ocsp/{encoded}", ours.base), None)?;
        rows.push(against_nginx(
            plan,
            nginx,
            &format!("OCSP GET, {status} (resp/s)"),
            get,
            &answer,
            &format!("ocsp-{status}.der"),
            0.5,
        )?);
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
