//! Debian's chromium, headless, through chromium-driver: one browser per test,
//! with its own HOME, profile and download directory, killed with all its
//! children whatever happens to the test.
//!
//! Pitfalls met (see ../shared/research/verified-e2e.md): as root Chromium
//! needs `--no-sandbox` (chromedriver only says the instance exited); killing
//! chromedriver alone orphans the browser; Chromium writes under $HOME even
//! with a profile directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use thirtyfour::prelude::*;

use crate::PAGE_WAIT;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The browser's width; pages are shot at their full height.
const WIDTH: u32 = 1280;

pub struct Chrome {
    pub driver: WebDriver,
    pub downloads: PathBuf,
    pub base: String,
    process: Child,
    _home: TempDir,
}

impl Chrome {
    /// A fresh browser that will talk to the platform at `base`.
    pub async fn start(base: &str) -> Chrome {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: apt-get install chromium chromium-driver (scripts/test does)"
            );
        }
        let home = testkit::temp_dir();
        let downloads = home.path().join("Downloads");
        let profile = home.path().join("profile");
        let tmp = home.path().join("tmp");
        for d in [&downloads, &profile, &tmp] {
            std::fs::create_dir_all(d).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("HOME", home.path())
            .env("TMPDIR", &tmp)
            // Chromium's own widgets (the file picker's label) in Chinese too.
            .env("LANGUAGE", "zh_CN:zh")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
            &format!("--window-size={WIDTH},900"),
            "--lang=zh-CN",
            &format!("--user-data-dir={}", profile.display()),
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_experimental_option(
            "prefs",
            serde_json::json!({
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                // The e-invoice link downloads the PDF, as with a desktop browser
                // set to save PDFs.
                "plugins.always_open_pdf_externally": true,
                "intl.accept_languages": "zh-CN,zh",
            }),
        )
        .unwrap();
        let chrome = Chrome {
            driver: match WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await {
                Ok(d) => d,
                Err(e) => {
                    kill_tree(process.id());
                    panic!("no browser session: {e}");
                }
            },
            downloads,
            base: base.to_string(),
            process,
            _home: home,
        };
        // Waits are explicit (`find`, `wait_text`); a missing element is an answer.
        chrome
            .driver
            .set_implicit_wait_timeout(Duration::ZERO)
            .await
            .ok();
        chrome
    }

    /// Opens a path of the platform (or a full URL).
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.driver.goto(&url).await.unwrap();
    }

    /// The element with this CSS selector, once it is there.
    pub async fn find(&self, css: &str) -> WebElement {
        self.driver
            .query(By::Css(css))
            .wait(PAGE_WAIT, Duration::from_millis(100))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    /// The `id` of the first element matching `css` whose text has `words`.
    pub async fn id_of(&self, css: &str, words: &str) -> String {
        self.find(css).await;
        for e in self.driver.find_all(By::Css(css)).await.unwrap() {
            if e.text().await.unwrap().contains(words) {
                return e.attr("id").await.unwrap().unwrap_or_default();
            }
        }
        panic!("no `{css}` reads {words}");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Replaces a field's value with `text`, typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// The current path (and query).
    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.unwrap();
        let mut p = url.path().to_string();
        if let Some(q) = url.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    }

    /// Waits until the page's text contains `words`; fails with the page's text.
    pub async fn wait_text(&self, words: &str) -> String {
        let started = Instant::now();
        loop {
            let text = match self.driver.find(By::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(words) {
                return text;
            }
            if started.elapsed() > PAGE_WAIT {
                let url = self.driver.current_url().await.map(|u| u.to_string());
                panic!("`{words}` never showed on {url:?}:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for a finished download whose name satisfies `pick`.
    pub async fn downloaded(&self, pick: impl Fn(&str) -> bool) -> PathBuf {
        let started = Instant::now();
        loop {
            let names: Vec<String> = std::fs::read_dir(&self.downloads)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let busy = names.iter().any(|n| n.ends_with(".crdownload"));
            if !busy && let Some(n) = names.iter().find(|n| pick(n)) {
                return self.downloads.join(n);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no download finished: {names:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Grows the window to the page's full height, so a screenshot shows the
    /// whole page, and saves it as PNG.
    pub async fn screenshot(&self, file: &Path) {
        // Back to the usual size first: a page is never shorter than its window.
        self.driver.set_window_rect(0, 0, WIDTH, 900).await.unwrap();
        let height = self
            .driver
            .execute("return document.body.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|r| r.json().as_u64())
            .unwrap_or(800) as u32;
        // The window's frame takes this much of its height in headless mode.
        let frame = 143;
        let want = (height + frame).clamp(600, 4000);
        self.driver
            .set_window_rect(0, 0, WIDTH, want)
            .await
            .unwrap();
        self.driver.screenshot(file).await.unwrap();
    }

    /// Ends the session and the browser.
    pub async fn quit(mut self) {
        let _ = self.driver.clone().quit().await;
        kill_tree(self.process.id());
        let _ = self.process.wait();
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        kill_tree(self.process.id());
    }
}

/// SIGKILLs a process and all its descendants (chromedriver's browser and its
/// renderers would otherwise outlive the test).
pub fn kill_tree(pid: u32) {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for t in tasks.flatten() {
                if let Ok(children) = std::fs::read_to_string(t.path().join("children")) {
                    all.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
        i += 1;
    }
    let pids: Vec<String> = all.iter().map(u32::to_string).collect();
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(&pids)
        .stderr(Stdio::null())
        .status();
}
