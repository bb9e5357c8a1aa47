//! A screenshot per figure of the manual, under `target/e2e/`, with an HTML
//! index a person can page through. Every shot is read back with Tesseract:
//! the words the figure is about must be legible in the picture itself, so a
//! page drawn in tofu boxes, or the wrong page, fails the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use tokio::task::JoinHandle;

use crate::bins;
use crate::chrome::Chrome;

pub struct Album {
    dir: PathBuf,
    key: String,
    title: String,
    entries: Vec<serde_json::Value>,
    reads: Vec<JoinHandle<Result<(), String>>>,
    started: std::time::Instant,
}

impl Album {
    /// An album under `target/e2e/<sub>` (`sub` empty for the top), keyed so
    /// several albums share one index; old shots of the same key are removed.
    pub fn new(sub: &str, key: &str, title: &str) -> Album {
        let mut dir = bins::target_dir().join("e2e");
        if !sub.is_empty() {
            dir = dir.join(sub);
        }
        std::fs::create_dir_all(&dir).unwrap();
        let prefix = format!("fig-{key}.");
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Album {
            dir,
            key: key.to_string(),
            title: title.to_string(),
            entries: Vec::new(),
            reads: Vec::new(),
            started: std::time::Instant::now(),
        }
    }

    /// `fig-<figure>.png` for a figure such as `2.01`.
    pub fn file(&self, figure: &str) -> PathBuf {
        self.dir.join(format!("fig-{figure}.png"))
    }

    /// Shoots the browser's page as `figure`, checks it is no error page, and
    /// has Tesseract look for `reads` in the picture.
    pub async fn page(&mut self, chrome: &Chrome, figure: &str, caption: &str, reads: &[&str]) {
        let text = chrome.text().await;
        assert!(
            chrome
                .driver
                .find(thirtyfour::By::Id("error-message"))
                .await
                .is_err(),
            "图 {figure} is an error page:\n{text}"
        );
        for words in reads {
            assert!(
                text.contains(words),
                "图 {figure}: no `{words}` on the page:\n{text}"
            );
        }
        let file = self.file(figure);
        chrome.screenshot(&file).await;
        self.add(figure, caption, reads);
    }

    /// Records a picture already saved as `file(figure)` (the assistant's
    /// window) and has Tesseract look for `reads` in it.
    pub fn add(&mut self, figure: &str, caption: &str, reads: &[&str]) {
        let file = self.file(figure);
        assert!(
            file.exists(),
            "图 {figure}: no picture at {}",
            file.display()
        );
        // Progress in the test's output, to see where a slow run spends time.
        eprintln!(
            "[{:6.1}s] 图 {figure} {caption}",
            self.started.elapsed().as_secs_f64()
        );
        self.entries.push(serde_json::json!({
            "figure": figure,
            "caption": caption,
            "file": file.file_name().unwrap().to_string_lossy(),
        }));
        let reads: Vec<String> = reads.iter().map(|s| s.to_string()).collect();
        let figure = figure.to_string();
        self.reads.push(tokio::task::spawn_blocking(move || {
            let mut text = ocr(&file);
            let missing = |text: &str| {
                reads.iter().find(|words| {
                    let want: String = words.chars().filter(|c| !c.is_whitespace()).collect();
                    !text.contains(&want)
                })
            };
            if missing(&text).is_some() {
                // Tesseract's default layout analysis sometimes drops a small
                // block standing alone (a state badge beside a heading); its
                // sparse-text mode looks for every word wherever it is.
                text.push_str(&ocr_with(&file, &["--psm", "11"]));
            }
            match missing(&text) {
                Some(words) => Err(format!(
                    "图 {figure}: `{words}` not legible in {}; Tesseract read:\n{text}",
                    file.display()
                )),
                None => Ok(()),
            }
        }));
    }

    /// Waits for the reads, writes this album's list and the index of all
    /// albums in the directory; fails on any picture that did not read.
    pub async fn finish(self) -> PathBuf {
        let mut failures = Vec::new();
        for r in self.reads {
            if let Err(e) = r.await.unwrap() {
                failures.push(e);
            }
        }
        let manifest =
            serde_json::json!({ "key": self.key, "title": self.title, "shots": self.entries });
        std::fs::write(
            self.dir.join(format!("album-{}.json", self.key)),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
        let index = write_index(&self.dir);
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        index
    }
}

/// What Tesseract reads in a picture, whitespace removed (it spaces out CJK).
pub fn ocr(file: &Path) -> String {
    ocr_with(file, &[])
}

/// [`ocr`] with Tesseract's `options` (e.g. a page segmentation mode).
fn ocr_with(file: &Path, options: &[&str]) -> String {
    let out = Command::new("tesseract")
        .arg(file)
        .args(["-", "-l", "chi_sim+eng"])
        .args(options)
        .output()
        .expect("tesseract is installed (scripts/test installs tesseract-ocr)");
    String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `index.html`: every album found in `dir`, its shots in order. Written to a
/// temporary file and renamed, as albums of parallel tests finish at once.
fn write_index(dir: &Path) -> PathBuf {
    let mut albums: Vec<serde_json::Value> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("album-") && n.ends_with(".json")
        })
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect();
    albums.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    let mut html = String::from(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>certhall e2e：证书变更操作手册</title>\
         <style>body{font-family:sans-serif;max-width:1320px;margin:1rem auto;padding:0 1rem}\
         figure{margin:2rem 0;border-top:1px solid #ccc;padding-top:1rem}img{max-width:100%;border:1px solid #999}\
         nav a{margin-right:1rem}</style><h1>证书变更操作手册，逐图重现</h1><nav>",
    );
    for a in &albums {
        let key = a["key"].as_str().unwrap_or_default();
        html.push_str(&format!(
            "<a href=\"#{}\">{}</a>",
            esc(key),
            esc(a["title"].as_str().unwrap_or_default())
        ));
    }
    html.push_str("</nav>");
    for a in &albums {
        html.push_str(&format!(
            "<section id=\"{}\"><h2>{}</h2>",
            esc(a["key"].as_str().unwrap_or_default()),
            esc(a["title"].as_str().unwrap_or_default())
        ));
        for s in a["shots"].as_array().into_iter().flatten() {
            let file = esc(s["file"].as_str().unwrap_or_default());
            html.push_str(&format!(
                "<figure><figcaption><strong>图 {}</strong> {}</figcaption><a href=\"{file}\"><img src=\"{file}\" alt=\"图 {}\"></a></figure>",
                esc(s["figure"].as_str().unwrap_or_default()),
                esc(s["caption"].as_str().unwrap_or_default()),
                esc(s["figure"].as_str().unwrap_or_default()),
            ));
        }
        html.push_str("</section>");
    }
    let index = dir.join("index.html");
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".index-{}-{n}.html", std::process::id()));
    std::fs::write(&tmp, html).unwrap();
    std::fs::rename(&tmp, &index).unwrap();
    index
}
