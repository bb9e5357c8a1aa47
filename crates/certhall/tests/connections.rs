//! Connections cannot be held open for free (issue 16, finding 8): a client
//! sending its headers a line at a time, or nothing at all, is cut off after
//! the header-read timeout, and one client address holds at most
//! `server.max_connections_per_client` connections at once.
//!
//! A test binary of its own: it measures time (a 2 s header-read timeout, a
//! ninth connection closed within a second), so it does not share the CPU
//! with the load tests of the `operations` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::time::{Duration, Instant};

use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether the server has closed `s` (a read sees the end, or an error).
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or other answer before closing: keep reading.
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn healthy(app: &TestApp) -> bool {
    matches!(
        app.http.get(format!("{}/healthz", app.base)).send().await,
        Ok(r) if r.status() == 200
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_bounded() {
    let app = TestApp::new()
        .configure(|s| {
            s.http = certhall::http::HttpLimits {
                header_read_timeout: Duration::from_secs(2),
                max_connections_per_client: 8,
            }
        })
        .spawn()
        .await;
    let addr = app.server.addr;

    // A header line every half second, as the sweep's slow client did: cut
    // off once the timeout passes, whatever it keeps sending.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut cut = false;
    while started.elapsed() < Duration::from_secs(15) {
        if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
            cut = true;
            break;
        }
        if closed_within(&mut slow, Duration::from_millis(500)).await {
            cut = true;
            break;
        }
    }
    assert!(cut, "a slow header sender kept its connection");

    // Eight idle connections fill this client's share; the ninth is closed at
    // once, while the server still answers everyone else.
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ninth = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut ninth, Duration::from_secs(1)).await,
        "a ninth connection from one client was kept"
    );
    // The idle ones are cut off by the header-read timeout too, and the
    // client is served again.
    for s in &mut idle {
        assert!(
            closed_within(s, Duration::from_secs(10)).await,
            "an idle connection was kept"
        );
    }
    let back = common::eventually(Duration::from_secs(5), || healthy(&app)).await;
    assert!(back.is_some(), "the client was not served again");
    app.server.stop().await;
}
