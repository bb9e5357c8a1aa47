//! CA staff in the back office, in the same kind of browser as the holder: an
//! account made with `certhall staff add`, set up through its one-time link
//! (the authenticator secret read off the page, as a phone scanning the QR code
//! would), signed in with password and TOTP, approving from the queue.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ra::staff::totp;

use crate::album::Album;
use crate::chrome::Chrome;
use crate::platform::Platform;

pub const PASSWORD: &str = "correct horse battery";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The code an authenticator shows `offset` steps from now; waits out the end
/// of a step so the server sees the same one.
async fn code(secret: &[u8], offset: i64) -> String {
    if now_ms() % 30_000 > 28_500 {
        tokio::time::sleep(Duration::from_millis(1_600)).await;
    }
    let step = totp::step_of(now_ms()) + offset;
    format!("{:06}", totp::hotp(secret, step as u64))
}

/// What the desk shows of the application: a caption and words the shot
/// must read.
pub struct Desk<'a> {
    pub caption: &'a str,
    pub reads: &'a [&'a str],
    /// The caption of the shot after approval.
    pub approved: &'a str,
}

/// A reviewer `name` is created, sets the account up and signs in; the queue
/// shows the application, the reviewer opens it (claiming it) and approves.
/// Shots of the queue and the decision go in the album as `<figure>a`/`b`.
pub async fn approve(
    platform: &Platform,
    album: &mut Album,
    figure: &str,
    app_id: &str,
    desk: &Desk<'_>,
) {
    approve_as(platform, album, figure, app_id, desk, "wang").await;
}

/// [`approve`] by a reviewer of another name (one platform, several reviews).
pub async fn approve_as(
    platform: &Platform,
    album: &mut Album,
    figure: &str,
    app_id: &str,
    desk: &Desk<'_>,
    name: &str,
) {
    let out = platform
        .cli_ok(&["staff", "add", name, "--role", "reviewer"])
        .await;
    let link = out
        .split_whitespace()
        .find(|w| w.contains("/admin/setup/"))
        .unwrap_or_else(|| panic!("no set-up link in:\n{out}"))
        .to_string();
    let chrome = Chrome::start(&platform.base).await;
    chrome.goto(&link).await;
    let shown = chrome.find("#secret").await.text().await.unwrap();
    let secret = totp::from_base32(&shown.split_whitespace().collect::<String>())
        .expect("the set-up page shows a base32 secret");
    // Set-up takes the previous step's code (an authenticator a little behind),
    // so the current one is still unused for signing in.
    chrome.fill("#password", PASSWORD).await;
    chrome.fill("#confirm", PASSWORD).await;
    chrome.fill("#code", &code(&secret, -1).await).await;
    chrome.click("form.stack button[type=submit]").await;
    chrome.wait_text("账号设置完成").await;

    chrome.goto("/admin/signin").await;
    chrome.fill("#name", name).await;
    chrome.fill("#password", PASSWORD).await;
    chrome.fill("#code", &code(&secret, 0).await).await;
    chrome.click("form.stack button[type=submit]").await;
    chrome.wait_text("工作台").await;

    chrome.goto("/admin/applications").await;
    chrome
        .click(&format!("#queue a[href=\"/admin/applications/{app_id}\"]"))
        .await;
    chrome.wait_text("审核通过").await;
    album
        .page(&chrome, &format!("{figure}a"), desk.caption, desk.reads)
        .await;
    chrome
        .click("#decisions form[action$=\"/approve\"] button[type=submit]")
        .await;
    chrome.wait_text("已审核通过").await;
    album
        .page(
            &chrome,
            &format!("{figure}b"),
            desk.approved,
            &["短信通知申请人"],
        )
        .await;
    chrome.quit().await;
}
