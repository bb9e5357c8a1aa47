//! The holder's browser, which the command line and the window both open on
//! the single-use links of the platform's forms.

use std::time::{Duration, Instant};

/// Opens the holder's browser on a link; says whether it did. The opener
/// (`xdg-open`) that fails does so at once (no browser, no handler); one still
/// running after a moment has started the browser (the generic `xdg-open`
/// waits for a browser it starts).
pub(crate) fn open(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    let mut child = match std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => return false,
        }
    }
    // Left to run (and be reaped by whoever outlives it).
    std::thread::spawn(move || child.wait());
    true
}
