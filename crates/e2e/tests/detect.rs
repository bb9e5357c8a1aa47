//! 证书变更 (图 2.3) asks the assistant's local bridge whether it runs: in
//! headless Chromium the page says 未检测到证书助手 while nothing runs,
//! 已检测到 (version, how many keys) while the window is open, 未检测到 again
//! once it is closed, and 已检测到 with the autostart's background bridge
//! alone. The page's words are shot under `target/e2e/assistant/detect/`.
//!
//! A second start while the window is open hands over to it.
//!
//! Its own test binary, so no other test's window holds the bridge's port
//! (cargo runs test binaries one after the other).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's"
)]

use std::time::{Duration, Instant};

use e2e::album::Album;
use e2e::bins;
use e2e::chrome::Chrome;
use e2e::platform::Platform;
use e2e::usb::{Assistant, Usb};
use testkit::Backend;

const FOUND: &str = "已检测到证书助手";
const MISSING: &str = "未检测到证书助手";
/// The port the page asks (the assistant's default).
const BRIDGE_PORT: u16 = 47391;

/// Reloads the page until its status line holds `words` (the window takes
/// a moment to start); returns the line.
async fn status_says(chrome: &Chrome, words: &str) -> String {
    let started = Instant::now();
    loop {
        chrome.goto("/selfservice/change").await;
        let mut line = String::new();
        // The page asks once, on load; the answer comes within a moment.
        for _ in 0..20 {
            line = chrome.find("#assistant-status").await.text().await.unwrap();
            if !line.contains("正在检测") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if line.contains(words) {
            return line;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the 证书变更 page never said `{words}`: `{line}`"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_page_finds_the_running_assistant() {
    let port = BRIDGE_PORT;
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "something already listens on the bridge's port {port}: stop it and run again"
    );
    let platform = Platform::start(Backend::Sqlite, None).await;
    let usb = Usb::new("detect-key");
    let home = platform.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let assistant = Assistant {
        bin: bins::assistant(),
        home,
        server: platform.base.clone(),
    };
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("assistant/detect", "detect", "证书变更页检测证书助手");

    let line = status_says(&chrome, MISSING).await;
    assert!(line.contains("下载并安装"), "{line}");
    album
        .page(
            &chrome,
            "detect.01",
            "未运行证书助手：页面提示下载并安装",
            &[MISSING],
        )
        .await;

    {
        let _window = assistant.keep_window_open(&usb.conf);
        let line = status_says(&chrome, FOUND).await;
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            line.contains(&format!("版本 {version}")) && line.contains("已插入 1 个证书介质"),
            "{line}"
        );
        // 打开证书助手 clicked again, or the menu entry: the open window
        // takes the page, no second one starts (this one has no screen to
        // open a window on, so it could only succeed by handing over).
        for args in [
            &["open", "certhall://open?business=change"][..],
            &["gui", "--page", "pin"][..],
        ] {
            let o = assistant.run(&usb.conf, args, "").await;
            assert!(o.status.success(), "{args:?}: {}", e2e::usb::said(&o));
            assert!(
                e2e::usb::said(&o).contains("证书助手已在运行，已切换到它的窗口"),
                "{}",
                e2e::usb::said(&o)
            );
        }
        album
            .page(
                &chrome,
                "detect.02",
                "打开证书助手窗口后：已检测到证书助手与插入的证书介质",
                &[FOUND],
            )
            .await;
    }
    // Closed: the window's bridge went with it.
    status_says(&chrome, MISSING).await;

    // At login the autostart entry runs the bridge alone, with no key in.
    {
        let _bridge = assistant.bridge_alone(&usb.unplugged);
        let line = status_says(&chrome, FOUND).await;
        assert!(line.contains("请插入证书介质"), "{line}");
        album
            .page(
                &chrome,
                "detect.03",
                "登录桌面时自动运行的本地服务：已检测到证书助手，请插入证书介质",
                &[FOUND, "请插入证书介质"],
            )
            .await;
    }
    status_says(&chrome, MISSING).await;
    chrome.quit().await;
    album.finish().await;
}
