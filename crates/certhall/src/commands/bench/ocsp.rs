//! OCSP, GET and POST, for a good and a revoked certificate among the seeded
//! ones: against nginx serving an answer of the same size (≥ 50% of its
//! rate), and against `openssl ocsp` answering from an index of as many
//! certificates (≥ 5×). The OpenSSL responder binds every address and hangs
//! on a connection that sends nothing, so it runs in its own network
//! namespace (`unshare -n`, loopback only) with wrk's probe connection
//! turned off.

use std::path::Path;
use std::process::Command;

use base64::Engine;

use super::load::{Measured, Wrk, against_nginx, fetch, parse_wrk, post_script};
use super::ours::Server;
use super::peer_ca::{PeerCa, csr, index_time, openssl, p, write};
use super::peers::Nginx;
use super::{Plan, Row, bench_error};
use crate::AppError;

/// A certificate of ours for a fresh P-256 key: its PEM file and serial.
fn certificate(ours: &Server, dir: &Path, name: &str) -> Result<(String, String), AppError> {
    let csr = csr(dir, name)?;
    let pem = ours.cli(&[
        "ca",
        "issue",
        "--csr",
        &p(&csr),
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
    write(&file, pem)?;
    let file = p(&file);
    let serial = openssl(&["x509", "-in", &file, "-noout", "-serial"])?
        .trim()
        .trim_start_matches("serial=")
        .to_string();
    Ok((file, serial))
}

fn request(issuer: &Path, cert: &str, out: &Path) -> Result<Vec<u8>, AppError> {
    openssl(&[
        "ocsp",
        "-issuer",
        &p(issuer),
        "-cert",
        cert,
        "-no_nonce",
        "-reqout",
        &p(out),
    ])?;
    std::fs::read(out).map_err(|e| bench_error(e.to_string()))
}

pub async fn ocsp(
    plan: &Plan,
    ours: &Server,
    nginx: &Nginx,
    peer: &PeerCa,
    issued: i64,
    scratch: &Path,
) -> Result<Vec<Row>, AppError> {
    let dir = scratch.join("ocsp");
    std::fs::create_dir_all(&dir).map_err(|e| bench_error(e.to_string()))?;
    let http = reqwest::Client::new();
    let issuing = dir.join("issuing.der");
    write(
        &issuing,
        fetch(http.get(format!("{}/pki/issuing.crt", ours.base))).await?,
    )?;
    let issuing_pem = dir.join("issuing.pem");
    openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        &p(&issuing),
        "-out",
        &p(&issuing_pem),
    ])?;
    let (good, _) = certificate(ours, &dir, "good")?;
    let (revoked, serial) = certificate(ours, &dir, "revoked")?;
    ours.cli(&["ca", "revoke", &serial, "--reason", "keyCompromise"])?;
    let peer_rates = openssl_responder(plan, peer, issued, &dir)?;

    let mut rows = Vec::new();
    for (status, cert) in [("good", &good), ("revoked", &revoked)] {
        let req_file = dir.join(format!("{status}.req"));
        let req_der = request(&issuing_pem, cert, &req_file)?;
        let post_url = format!("{}/pki/ocsp", ours.base);
        let answer = fetch(
            http.post(&post_url)
                .header("content-type", "application/ocsp-request")
                .body(req_der.clone()),
        )
        .await?;
        let script = dir.join(format!("{status}.lua"));
        post_script(
            &script,
            &req_file,
            &[("Content-Type", "application/ocsp-request")],
            false,
        )?;
        let post = Wrk::get(plan, &post_url).script(&script).run(plan)?;
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(&req_der)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let get_url = format!("{}/pki/ocsp/{encoded}", ours.base);
        let get = Wrk::get(plan, &get_url).run(plan)?;
        let file = format!("ocsp-{status}.der");
        rows.push(against_nginx(
            plan,
            nginx,
            &format!("OCSP POST, {status} (resp/s)"),
            post,
            &answer,
            &file,
            0.5,
        )?);
        rows.push(against_nginx(
            plan,
            nginx,
            &format!("OCSP GET, {status} (resp/s)"),
            get,
            &answer,
            &file,
            0.5,
        )?);
        let (peer_name, peer_rate) = match status {
            "good" => ("openssl ocsp", peer_rates.0),
            _ => ("openssl ocsp", peer_rates.1),
        };
        let mut row = Row::new(
            format!("OCSP POST, {status}, vs OpenSSL (resp/s)"),
            post.rps,
            format!("{peer_name}, {issued} in index"),
            peer_rate.rps,
            5.0,
        );
        row.p99_ms = Some(post.p99_ms);
        rows.push(row);
    }
    Ok(rows)
}

/// `openssl ocsp` over an index of `issued` certificates of the peer CA (one
/// of them revoked), loaded with POSTs of a good and of the revoked one's
/// request: (good, revoked).
fn openssl_responder(
    plan: &Plan,
    peer: &PeerCa,
    issued: i64,
    dir: &Path,
) -> Result<(Measured, Measured), AppError> {
    let peer_dir = dir.join("openssl");
    std::fs::create_dir_all(&peer_dir).map_err(|e| bench_error(e.to_string()))?;
    peer.reset()?;
    let mut certs = Vec::new();
    for name in ["good", "revoked"] {
        let pem = peer_dir.join(format!("{name}.pem"));
        peer.issue(&csr(&peer_dir, name)?, &pem)?;
        certs.push(pem);
    }
    openssl(&[
        "ca",
        "-config",
        &p(&peer.cnf),
        "-revoke",
        &p(&certs[1]),
        "-crl_reason",
        "keyCompromise",
    ])?;
    // The two real entries, then filler up to `issued`.
    let mut index = std::fs::read_to_string(peer.dir.join("index.txt"))
        .map_err(|e| bench_error(e.to_string()))?;
    let expires = index_time(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
            + 365 * 86_400_000,
    );
    for i in 2..issued.max(2) {
        index.push_str(&format!(
            "V\t{expires}\t\t{:032X}\tunknown\t/CN=filler{i}\n",
            0x1000_0000_0000_0000_0000_0000_0000_0000_u128 + i as u128
        ));
    }
    peer.write_index(&index)?;

    let mut rates = Vec::new();
    for (name, cert) in ["good", "revoked"].iter().zip(&certs) {
        let req = peer_dir.join(format!("{name}.req"));
        request(&peer.crt, &p(cert), &req)?;
        let script = peer_dir.join(format!("{name}.lua"));
        post_script(
            &script,
            &req,
            &[("Content-Type", "application/ocsp-request")],
            true,
        )?;
        rates.push(run_responder(plan, peer, &req, &script)?);
    }
    Ok((rates[0], rates[1]))
}

/// One wrk load against `openssl ocsp` inside `unshare -n`.
fn run_responder(
    plan: &Plan,
    peer: &PeerCa,
    req: &Path,
    script: &Path,
) -> Result<Measured, AppError> {
    const PORT: u16 = 18888;
    // The responder is checked with a real request (an empty probe would hang
    // it) before the load, and killed by pid after it.
    let sh = format!(
        "ip link set lo up\n\
         openssl ocsp -index {index} -port {PORT} -rsigner {crt} -rkey {key} -CA {crt} -nmin 60 -ignore_err 2>/dev/null &\n\
         pid=$!\n\
         for i in $(seq 100); do\n\
           openssl ocsp -reqin {req} -url http://127.0.0.1:{PORT}/ -noverify -timeout 2 >/dev/null 2>&1 && break\n\
           sleep 0.1\n\
         done\n\
         wrk -t{t} -c{c} -d{d}s --latency -s {script} http://127.0.0.1:{PORT}/\n\
         kill -9 $pid\n",
        index = p(&peer.dir.join("index.txt")),
        crt = p(&peer.crt),
        key = p(&peer.key),
        req = p(req),
        script = p(script),
        t = plan.threads,
        c = plan.connections,
        d = plan.duration.as_secs(),
    );
    let out = Command::new("timeout")
        .arg((plan.duration.as_secs() + 60).to_string())
        .args(["unshare", "-n", "sh", "-c", &sh])
        .output()
        .map_err(|e| bench_error(format!("unshare: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).map_err(|why| {
        bench_error(format!(
            "openssl ocsp under wrk: {why}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}
