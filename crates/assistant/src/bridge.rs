//! The local bridge: a tiny HTTP endpoint on 127.0.0.1 that lets the portal's
//! 证书变更 page say whether the assistant is running and a key is inserted.
//!
//! Only pages of the platform (the `Origin` allow-list) may read it; Chrome's
//! Private Network Access preflight (`Access-Control-Request-Private-Network`)
//! is answered so a public page may call a loopback address. It tells whether a
//! key is present and how many certificates it holds, nothing more: no serial,
//! no name, nothing that identifies the holder to a page that asks.
//!
//! One bridge runs per machine user: the window starts one, the autostart
//! entry starts one at login, and whichever comes second finds the port held
//! by a bridge of ours (its `X-Certhall-Assistant` header) and leaves it be.

use std::io::Cursor;
use std::net::{Ipv4Addr, SocketAddrV4};

use tiny_http::{Header, Method, Request, Response, Server};

use crate::error::Error;
use crate::token::Drivers;

/// The port the portal's page looks for the assistant on.
pub const DEFAULT_PORT: u16 = 47391;

/// The origin (`scheme://host[:port]`) of a URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// One of our own headers: name and value are ASCII literals.
#[expect(
    clippy::expect_used,
    reason = "only called with ASCII literals, which tiny_http always accepts"
)]
fn header(name: &'static str, value: &'static str) -> Header {
    Header::from_bytes(name, value).expect("an ASCII literal is a valid header")
}

fn get_header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Answers one request. `status` is asked only for an allowed origin.
pub fn answer(
    method: &Method,
    path: &str,
    origin: Option<&str>,
    allowed: &[String],
    status: impl FnOnce() -> serde_json::Value,
) -> Response<Cursor<Vec<u8>>> {
    // The page's origin is echoed back: only an allowed one, and only if it
    // can be a header at all (one that cannot is refused like any other).
    let allow_origin = origin
        .filter(|o| allowed.iter().any(|a| a == o))
        .and_then(|o| Header::from_bytes("Access-Control-Allow-Origin", o).ok());
    let Some(allow_origin) = allow_origin else {
        return Response::from_string("{\"error\":\"origin not allowed\"}")
            .with_status_code(403)
            .with_header(header(OURS, env!("CARGO_PKG_VERSION")))
            .with_header(header("Content-Type", "application/json"));
    };
    let cors = |r: Response<Cursor<Vec<u8>>>| {
        r.with_header(allow_origin)
            .with_header(header(OURS, env!("CARGO_PKG_VERSION")))
            .with_header(header("Vary", "Origin"))
            .with_header(header("Cache-Control", "no-store"))
    };
    match (method, path) {
        (Method::Options, "/v1/status") => cors(
            Response::from_data(Vec::new())
                .with_status_code(204)
                .with_header(header("Access-Control-Allow-Methods", "GET"))
                .with_header(header("Access-Control-Allow-Private-Network", "true"))
                .with_header(header("Access-Control-Max-Age", "600")),
        ),
        (Method::Get, "/v1/status") => cors(
            Response::from_string(status().to_string())
                .with_header(header("Content-Type", "application/json")),
        ),
        _ => cors(Response::from_string("{\"error\":\"not found\"}").with_status_code(404)),
    }
}

/// What the page may know: the assistant runs, and whether a key is in.
pub fn status_of(drivers: &Drivers) -> serde_json::Value {
    let tokens = drivers.tokens().unwrap_or_default();
    let certificates: usize = tokens
        .iter()
        .filter_map(|t| drivers.open(&t.slot).ok())
        .map(|t| t.certificates().map(|c| c.len()).unwrap_or(0))
        .sum();
    serde_json::json!({
        "assistant": env!("CARGO_PKG_VERSION"),
        "tokens": tokens.len(),
        "certificates": certificates,
    })
}

/// The header every answer of the bridge carries: how a second assistant
/// knows the port is held by the first, not by another program.
const OURS: &str = "X-Certhall-Assistant";

/// The bridge's port, unless another bridge of ours already holds it
/// (`Ok(None)`: nothing to do, the page finds that one).
pub fn bind(port: u16) -> Result<Option<Server>, Error> {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    match Server::http(addr) {
        Ok(server) => Ok(Some(server)),
        Err(_) if is_ours(addr) => Ok(None),
        Err(e) => Err(Error::Usage(format!(
            "无法在 127.0.0.1:{port} 上启动本地服务（端口被其他程序占用）：{e}"
        ))),
    }
}

/// Whether what listens on `addr` is a bridge of ours.
fn is_ours(addr: SocketAddrV4) -> bool {
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build();
    http.ok()
        .and_then(|c| c.get(format!("http://{addr}/v1/status")).send().ok())
        .is_some_and(|r| r.headers().contains_key(OURS))
}

/// `certhall-assistant bridge`: serves until the process ends, or says that
/// a bridge already runs and returns.
pub fn serve(drivers: Drivers, port: u16, allowed: Vec<String>) -> Result<(), Error> {
    let Some(server) = bind(port)? else {
        println!("证书助手的本地服务已在运行：http://127.0.0.1:{port}");
        return Ok(());
    };
    println!(
        "本地服务已启动：http://127.0.0.1:{port}（允许：{}）",
        allowed.join("，")
    );
    answer_all(&server, &drivers, &allowed);
    Ok(())
}

/// The window's bridge: on a thread of its own for as long as the window is
/// open, unless one already runs (the autostart's, or another window's).
/// Failing to bind only costs the page its 已检测到, so it is said on stderr
/// and the window opens anyway.
pub fn serve_in_background(drivers: Drivers, port: u16, allowed: Vec<String>) {
    match bind(port) {
        Ok(Some(server)) => {
            std::thread::spawn(move || answer_all(&server, &drivers, &allowed));
        }
        Ok(None) => {}
        Err(e) => eprintln!("{e}"),
    }
}

fn answer_all(server: &Server, drivers: &Drivers, allowed: &[String]) {
    for req in server.incoming_requests() {
        respond(req, allowed, || status_of(drivers));
    }
}

/// Answers one request as it came off the wire (what a page, or anyone on
/// the machine, sends; fuzzed in `fuzz/fuzz_targets/bridge.rs`).
pub fn respond(req: Request, allowed: &[String], status: impl FnOnce() -> serde_json::Value) {
    let path = req.url().split('?').next().unwrap_or("").to_string();
    let origin = get_header(&req, "Origin").map(str::to_string);
    let resp = answer(req.method(), &path, origin.as_deref(), allowed, status);
    let _ = req.respond(resp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin_of("https://CA.example.cn/selfservice?x=1").as_deref(),
            Some("https://ca.example.cn")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn only_allowed_origins_are_answered() {
        let allowed = vec!["https://ca.example.cn".to_string()];
        let r = answer(
            &Method::Get,
            "/v1/status",
            Some("https://evil.example"),
            &allowed,
            || panic!("a refused origin must not read the token"),
        );
        assert_eq!(r.status_code().0, 403);
        let r = answer(&Method::Get, "/v1/status", None, &allowed, || {
            panic!("no origin")
        });
        assert_eq!(r.status_code().0, 403);
    }
}
