//! CA staff in tests: an account made with `certhall staff add`, set up through
//! its one-time link (password + authenticator secret read off the page, as a
//! person scanning the QR code would), and signed in with a fresh TOTP code.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ra::staff::totp;

use crate::TestApp;
use crate::browser::{Browser, Page};

pub const PASSWORD: &str = "correct horse battery";

pub struct Staff {
    pub name: String,
    pub secret: Vec<u8>,
    pub browser: Browser,
}

/// The set-up link `certhall staff add` printed.
fn setup_link(stdout: &str) -> String {
    let url = stdout
        .split_whitespace()
        .find(|w| w.contains("/admin/setup/"))
        .unwrap_or_else(|| panic!("no set-up link in:\n{stdout}"));
    url[url.find("/admin/setup/").unwrap()..].to_string()
}

/// The authenticator secret shown on the set-up page.
fn secret_of(page: &Page) -> Vec<u8> {
    let text: String = page.text("#secret").split_whitespace().collect();
    totp::from_base32(&text).expect("the secret is base32")
}

/// The code of the step `offset` steps from now, as an authenticator whose
/// clock runs a little behind (-1) or ahead (+1) shows it. Waits out the last
/// second of a step so the server sees the same step.
pub async fn code(secret: &[u8], offset: i64) -> String {
    let step = totp::step_of(settled_now().await) + offset;
    format!("{:06}", totp::hotp(secret, step as u64))
}

/// Now (ms), once out of the last moment of a TOTP step, so the server sees
/// the same step.
async fn settled_now() -> i64 {
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    if now() % 30_000 > 28_500 {
        tokio::time::sleep(Duration::from_millis(1_600)).await;
    }
    now()
}

/// Creates an account with the CLI; returns the set-up path.
pub async fn add(app: &TestApp, name: &str, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["staff", "add", name, "--role", role];
    args.extend_from_slice(extra);
    let out = app.cli(&args).await;
    assert!(out.status.success(), "staff add: {}", crate::stderr(&out));
    setup_link(&crate::stdout(&out))
}

/// Completes set-up in a browser: returns the secret.
pub async fn set_up(app: &TestApp, link: &str) -> Vec<u8> {
    set_up_at(app, link, settled_now().await).await
}

/// Signs in; returns the page signed in to.
pub async fn sign_in(b: &Browser, name: &str, password: &str, code: &str) -> Page {
    let form = b.get("/admin/signin").await;
    b.post(
        &form,
        "/admin/signin",
        &[
            ("name", name),
            ("password", password),
            ("code", code),
            ("next", "/admin"),
        ],
    )
    .await
}

/// A staff member of `role`, set up and signed in.
pub async fn staff(app: &TestApp, name: &str, role: &str, extra: &[&str]) -> Staff {
    let link = add(app, name, role, extra).await;
    let secret = set_up(app, &link).await;
    let browser = Browser::new(&app.base);
    let home = sign_in(&browser, name, PASSWORD, &code(&secret, 0).await).await;
    assert_eq!(home.text("h1"), "工作台");
    assert_eq!(home.path(), "/admin");
    Staff {
        name: name.to_string(),
        secret,
        browser,
    }
}

/// A new reviewer `name` opens the application on the desk and approves it.
pub async fn approve(app: &TestApp, name: &str, app_id: &str) {
    let reviewer = staff(app, name, "reviewer", &[]).await;
    approve_by(app, &reviewer, app_id).await;
}

/// `reviewer` opens the application on the desk and approves it.
pub async fn approve_by(app: &TestApp, reviewer: &Staff, app_id: &str) {
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{app_id}"))
        .await;
    let version = app
        .scalar(&format!(
            "SELECT version FROM applications WHERE id = '{app_id}'"
        ))
        .await
        .to_string();
    let done = reviewer
        .browser
        .post(
            &desk,
            &format!("/admin/applications/{app_id}/approve"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(done.notice(), "已审核通过，已短信通知申请人");
}

/// The code of the step holding `ms`: for a server on a test clock.
fn code_at(secret: &[u8], ms: i64) -> String {
    format!("{:06}", totp::hotp(secret, totp::step_of(ms) as u64))
}

/// Completes set-up on a server whose clock says `now_ms`: returns the secret.
async fn set_up_at(app: &TestApp, link: &str, now_ms: i64) -> Vec<u8> {
    let b = Browser::new(&app.base);
    let page = b.get(link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let secret = secret_of(&page);
    // The app's clock one step behind: that step is then used up, and sign-in
    // takes the current one.
    let code = code_at(&secret, now_ms - 30_000);
    let done = b
        .post(
            &page,
            link,
            &[
                ("password", PASSWORD),
                ("confirm", PASSWORD),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.notice(), "账号设置完成，请登录");
    secret
}

/// A staff member of `role`, set up and signed in on a server whose clock
/// says `now_ms`.
pub async fn staff_at(app: &TestApp, name: &str, role: &str, now_ms: i64) -> Staff {
    let link = add(app, name, role, &[]).await;
    let secret = set_up_at(app, &link, now_ms).await;
    sign_in_at(app, name, &secret, now_ms).await
}

/// Signs in an account set up earlier, on a server whose clock says `now_ms`.
pub async fn sign_in_at(app: &TestApp, name: &str, secret: &[u8], now_ms: i64) -> Staff {
    let browser = Browser::new(&app.base);
    let home = sign_in(&browser, name, PASSWORD, &code_at(secret, now_ms)).await;
    assert_eq!(home.path(), "/admin", "{}", home.html);
    Staff {
        name: name.to_string(),
        secret: secret.to_vec(),
        browser,
    }
}

/// `reviewer` approves the first PIN reset waiting on /admin/unlocks; returns
/// the page after.
pub async fn approve_first_unlock(reviewer: &Staff) -> Page {
    let page = reviewer.browser.get("/admin/unlocks").await;
    let action = page.attr("#unlocks form[action$=\"/approve\"]", "action");
    reviewer.browser.post(&page, &action, &[]).await
}
