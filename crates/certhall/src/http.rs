//! The HTTP/1 server under axum's router. `axum::serve` sets no timer, so a
//! client sending its headers one line at a time (or nothing at all) could
//! hold a connection forever: here every connection must deliver a request's
//! headers within `header_read_timeout` (idle keep-alive connections
//! included), and one client address may hold at most
//! `max_connections_per_client` connections at once (0: no cap; behind a
//! reverse proxy every connection comes from the proxy, so there the proxy's
//! own per-client limits apply and this cap should be 0 or large).
//! Shutdown is graceful: listening stops, requests in flight finish.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Service, ServiceExt};

/// Limits on what a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub header_read_timeout: Duration,
    /// 0: no cap.
    pub max_connections_per_client: usize,
}

/// Open connections per client address; a slot is given back when its
/// connection ends.
#[derive(Clone, Default)]
struct PerClient(Arc<Mutex<HashMap<IpAddr, usize>>>);

struct Slot {
    table: PerClient,
    ip: IpAddr,
}

impl PerClient {
    fn take(&self, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_default();
        if cap > 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let clients = PerClient::default();
    // Dropped to tell connections to finish; its receivers' count says how
    // many are still running.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = clients.take(addr.ip(), limits.max_connections_per_client) else {
            tracing::debug!(client = %addr.ip(), "too many connections from one client; closed");
            drop(stream);
            continue;
        };
        let service = match make.call(addr).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let service = TowerToHyperService::new(
            service.map_request(|req: Request<Incoming>| req.map(Body::new)),
        );
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let conn = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            if let Err(e) = conn.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(stop_rx);
    // Tell every connection, then wait until they are all gone.
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}
