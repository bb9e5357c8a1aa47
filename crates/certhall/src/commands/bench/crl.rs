//! CRL generation for many revoked entries: our publication (read the
//! revoked certificates, encode, sign, store with its audit record) against
//! `openssl ca -gencrl` over an index of the same entries (same serials,
//! dates and reasons). Time as entries per second (≥ 5×), and peak memory
//! (≤ 1/5): each side's process peak. Ours publishes in a child process
//! (`certhall bench --publish-crl`) that loads the CA first and then times
//! the publication alone; its peak is reported whole, and what the
//! publication added to it is printed alongside.

use std::process::Command;
use std::time::Instant;

use store::Db;

use super::peer_ca::{PeerCa, index_time};
use super::{Row, bench_error, seed};
use crate::AppError;
use crate::config::Settings;

fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN)
}

/// Index lines of every revoked certificate in the store, for OpenSSL.
async fn index_of(db: &Db) -> Result<String, AppError> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT serial, not_after, revoked_at, revocation_reason FROM certificates \
         WHERE revoked_at IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await
    .map_err(|e| bench_error(format!("reading revocations: {e}")))?;
    let names = [
        "unspecified",
        "keyCompromise",
        "CACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
    ];
    let mut out = String::with_capacity(rows.len() * 90);
    for (serial, not_after, revoked_at, reason) in rows {
        let reason = match usize::try_from(reason).ok().and_then(|r| names.get(r)) {
            Some(name) if reason != 0 => format!(",{name}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "R\t{}\t{}{reason}\t{serial}\tunknown\t/CN=revoked\n",
            index_time(not_after),
            index_time(revoked_at)
        ));
    }
    Ok(out)
}

/// What one publication took, as the child reports it.
struct Published {
    seconds: f64,
    peak_mb: f64,
    added_mb: f64,
    entries: i64,
    der_len: usize,
}

/// The child's side: load the CA, then publish one CRL, and print
/// `seconds peak_mb added_mb entries der_len`.
pub async fn publish_here(settings: &Settings) -> Result<(), AppError> {
    let authority = crate::setup::load_authority(settings).await?;
    let before = status_kb("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| bench_error(format!("cannot reset the memory high-water mark: {e}")))?;
    let started = Instant::now();
    let published = authority.publish_crl(true, "bench").await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    let entries: i64 = sqlx::query_scalar("SELECT entries FROM crls WHERE number = $1")
        .bind(published.number)
        .fetch_one(authority.db().pool())
        .await
        .map_err(|e| bench_error(e.to_string()))?;
    println!(
        "{seconds} {} {} {entries} {}",
        peak / 1024.0,
        (peak - before).max(0.0) / 1024.0,
        published.der.len()
    );
    authority.db().close().await;
    Ok(())
}

fn publish_in_child(settings: &Settings) -> Result<Published, AppError> {
    let exe = std::env::current_exe().map_err(|e| bench_error(e.to_string()))?;
    let out = Command::new(exe)
        .arg("--data-dir")
        .arg(&settings.data_dir)
        .args(["--database-url", &settings.database_url])
        .args(["bench", "--publish-crl"])
        .env("CERTHALL_LOG", "error")
        .output()
        .map_err(|e| bench_error(format!("certhall bench --publish-crl: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    match (num(0), num(1), num(2), num(3), num(4)) {
        (Some(seconds), Some(peak_mb), Some(added_mb), Some(entries), Some(der_len))
            if out.status.success() =>
        {
            Ok(Published {
                seconds,
                peak_mb,
                added_mb,
                entries: entries as i64,
                der_len: der_len as usize,
            })
        }
        _ => Err(bench_error(format!(
            "certhall bench --publish-crl: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ))),
    }
}

/// Revokes seeded certificates up to each of `counts` in turn and measures
/// both sides at each count.
pub async fn crl(
    settings: &Settings,
    db: &Db,
    peer: &PeerCa,
    counts: &[i64],
) -> Result<Vec<Row>, AppError> {
    let mut rows = Vec::new();
    let mut revoked = 0;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    for &n in counts {
        seed::revoke(db, now, revoked + 1, n).await?;
        revoked = n;
        let ours = publish_in_child(settings)?;
        peer.write_index(&index_of(db).await?)?;
        let (took, peer_mb, peer_size) = peer.gencrl()?;
        let peer_s = took.as_secs_f64();
        let label = if n >= 1_000_000 && n % 1_000_000 == 0 {
            format!("{}M", n / 1_000_000)
        } else if n >= 1000 && n % 1000 == 0 {
            format!("{}k", n / 1000)
        } else {
            n.to_string()
        };
        rows.push(Row::new(
            format!(
                "CRL, {label} revoked, {:.0} KB (entries/s)",
                ours.der_len as f64 / 1024.0
            ),
            ours.entries as f64 / ours.seconds,
            format!("openssl -gencrl, {:.0} KB", peer_size as f64 / 1024.0),
            ours.entries as f64 / peer_s,
            5.0,
        ));
        let mut memory = Row::new(
            format!(
                "CRL, {label} revoked: peak MB (+{:.1} publishing)",
                ours.added_mb
            ),
            ours.peak_mb,
            "openssl ca -gencrl",
            peer_mb,
            0.2,
        );
        memory.lower_is_better = true;
        rows.push(memory);
    }
    Ok(rows)
}
