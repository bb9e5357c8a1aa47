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

/// 打开证书助手 on a desktop with no environment set (Debian 12's generic
/// `xdg-open`, which splits the entry's `Exec` line on spaces): the installed
/// entry is found by the `certhall://` scheme and runs the assistant with the
/// link, each argument as written.
#[test]
fn the_generic_xdg_open_runs_the_installed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = (dir.path().join("data"), dir.path().join("config"));
    std::fs::create_dir_all(data.join("applications")).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    // Stands in for the installed program: records what it was run with.
    let exe = dir.path().join("certhall-assistant");
    let said = dir.path().join("args");
    std::fs::write(
        &exe,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", said.display()),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&exe).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&exe, perms).unwrap();
    std::fs::write(
        data.join("applications/certhall-assistant.desktop"),
        certhall_assistant::install::desktop_entry(
            &exe.display().to_string(),
            "https://ca.example.cn:8443",
        ),
    )
    .unwrap();
    let xdg = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_DIRS", &data)
            // A display, but no desktop environment: the generic path.
            .env("DISPLAY", ":99")
            .env_remove("XDG_CURRENT_DESKTOP")
            .env_remove("DESKTOP_SESSION")
            .env_remove("KDE_FULL_SESSION")
            .env_remove("GNOME_DESKTOP_SESSION_ID")
            .env_remove("BROWSER")
            .output()
            .unwrap_or_else(|e| panic!("{program} runs (xdg-utils): {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    xdg(
        "xdg-mime",
        &[
            "default",
            "certhall-assistant.desktop",
            "x-scheme-handler/certhall",
        ],
    );
    xdg("xdg-open", &["certhall://open?business=change"]);
    let args = std::fs::read_to_string(&said).expect("xdg-open ran the entry's program");
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "--server",
            "https://ca.example.cn:8443",
            "open",
            "certhall://open?business=change"
        ]
    );
}

/// A `certhall://` link any web page could make, but the portal does not:
/// refused with what was wrong, before anything else is done.
#[test]
fn a_link_the_portal_would_not_make_is_refused() {
    let home = tempfile::tempdir().unwrap();
    for (link, says) in [
        (
            "certhall://open?business=change&pin=123456",
            "链接中有无法识别的参数：pin=123456",
        ),
        (
            "certhall://open?business=wipe",
            "链接中的业务无法识别：wipe",
        ),
        ("certhall://reset", "链接中的操作无法识别：reset"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_certhall-assistant"))
            .args(["--module", "/nonexistent/libp11.so", "open", link])
            .env("HOME", home.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{text}");
        assert!(text.contains(says), "{link}: {text}");
    }
}
