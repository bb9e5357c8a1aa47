//! The command line's refusals, without a token or a server: each says what is
//! wrong in the holder's words and exits non-zero. (The change flow against a
//! SoftHSM2 token and a running server is tested with the server, in
//! `crates/certhall/tests/assistant/assistant_token.rs`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::process::Command;

fn assistant(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_certhall-assistant"))
        .args(args)
        .env_remove("CERTHALL_SERVER")
        .env_remove("CERTHALL_PKCS11_MODULE")
        .output()
        .expect("the assistant runs");
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn a_module_that_is_not_there_is_named() {
    let (code, text) = assistant(&["--module", "/nonexistent/libp11.so", "status"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("无法加载 PKCS#11 模块 /nonexistent/libp11.so"),
        "{text}"
    );
}

#[test]
fn an_unknown_key_type_is_refused() {
    let (code, text) = assistant(&["change", "--key-type", "ed25519"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("不支持 `ed25519`"), "{text}");
}

#[test]
fn an_unreachable_server_is_reported() {
    // Port 9 (discard) on loopback: nothing listens there.
    let (code, text) = assistant(&["--server", "http://127.0.0.1:9", "hall"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("无法连接服务器"), "{text}");
}
