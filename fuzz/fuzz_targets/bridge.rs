//! The assistant's local bridge as any page (or program) on the machine
//! reaches it: raw bytes on its TCP port, read by tiny_http and answered by
//! the bridge. A panic in the serving thread aborts the process, so libFuzzer
//! sees it.
#![no_main]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

fn bridge() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            hook(info);
            std::process::abort();
        }));
        let server = tiny_http::Server::http("127.0.0.1:0").expect("a loopback port");
        let addr = server.server_addr().to_ip().expect("an IP address");
        std::thread::spawn(move || {
            let allowed = vec!["https://ca.example.cn".to_string()];
            for req in server.incoming_requests() {
                certhall_assistant::bridge::respond(
                    req,
                    &allowed,
                    || serde_json::json!({ "assistant": "fuzz", "tokens": 1, "certificates": 1 }),
                );
            }
        });
        addr
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut s) = TcpStream::connect(bridge()) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = s.write_all(data);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
});
