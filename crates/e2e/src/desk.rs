//! The holder's desktop: a virtual screen (Xvfb) with the assistant's window
//! open, driven as a holder drives it. Buttons are found by their words on
//! the screen (Tesseract's word boxes) and clicked with the mouse; the PIN
//! and codes are typed on the keyboard (xdotool, through the X server, so
//! the window gets the same events as from a real mouse and keyboard). Each
//! state the test waits for is shot under `target/e2e/assistant/<business>/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::bins;
use crate::usb::{Assistant, PIN, Running, said};

/// How long the window may take to show what a step expects (the worker
/// talks to the server and the key; Tesseract reads a full window).
const WINDOW_WAIT: Duration = Duration::from_secs(60);

/// One recognised character and its box on the screen.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    c: char,
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
}

/// A line of text as Tesseract read it, spaces dropped.
#[derive(Debug, Clone, Default)]
struct Line {
    glyphs: Vec<Glyph>,
}

impl Line {
    fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.c).collect()
    }

    /// The centre of `words` (spaces dropped) in this line, and whether
    /// they stand apart there, with space on both sides, as a button's label
    /// does (not inside a sentence, where characters touch).
    fn find(&self, words: &[char]) -> Option<((i32, i32), bool)> {
        if words.is_empty() || words.len() > self.glyphs.len() {
            return None;
        }
        let matches = |w: &[Glyph]| w.iter().zip(words).all(|(g, c)| g.c == *c);
        let n = words.len();
        let apart = |i: usize| {
            let (first, last) = (self.glyphs[i], self.glyphs[i + n - 1]);
            let gap = (first.y1 - first.y0) / 2;
            let before = i == 0 || self.glyphs[i - 1].x1 + gap < first.x0;
            let after = i + n == self.glyphs.len() || last.x1 + gap < self.glyphs[i + n].x0;
            before && after
        };
        let windows: Vec<usize> = self
            .glyphs
            .windows(n)
            .enumerate()
            .filter(|(_, w)| matches(w))
            .map(|(i, _)| i)
            .collect();
        let at = windows
            .iter()
            .copied()
            .find(|&i| apart(i))
            .or_else(|| windows.first().copied())?;
        let span = &self.glyphs[at..at + n];
        let x0 = span.iter().map(|g| g.x0).min()?;
        let x1 = span.iter().map(|g| g.x1).max()?;
        let y0 = span.iter().map(|g| g.y0).min()?;
        let y1 = span.iter().map(|g| g.y1).max()?;
        Some((((x0 + x1) / 2, (y0 + y1) / 2), apart(at)))
    }
}

/// Tesseract's TSV (level 5 rows are words) as lines of glyphs: a word's box
/// shared evenly among its characters.
fn lines_of(tsv: &str) -> Vec<Line> {
    let mut lines: Vec<((u32, u32, u32, u32), Line)> = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let n = |i: usize| f[i].parse::<i32>().unwrap_or(0);
        let key = (
            n(1) as u32, // page
            n(2) as u32, // block
            n(3) as u32, // paragraph
            n(4) as u32, // line
        );
        let chars: Vec<char> = f[11].chars().filter(|c| !c.is_whitespace()).collect();
        if chars.is_empty() {
            continue;
        }
        let (left, top, width, height) = (n(6), n(7), n(8), n(9));
        let each = width / chars.len() as i32;
        let glyphs = chars.iter().enumerate().map(|(i, c)| Glyph {
            c: *c,
            x0: left + each * i as i32,
            x1: left + each * (i as i32 + 1),
            y0: top,
            y1: top + height,
        });
        match lines.iter_mut().find(|(k, _)| *k == key) {
            Some((_, line)) => line.glyphs.extend(glyphs),
            None => lines.push((
                key,
                Line {
                    glyphs: glyphs.collect(),
                },
            )),
        }
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

/// The screen with the window on it.
pub struct Desk {
    display: String,
    xauthority: String,
    window: Option<Running>,
    /// The window's X id.
    id: String,
    /// The links the window opened in the browser (told when a step fails).
    opened: PathBuf,
    /// (xvfb-run and its X server: declared after the window, so dropped
    /// after it.)
    _screen: Running,
    dir: PathBuf,
    shots: u32,
    work: tempfile::TempDir,
}

impl Desk {
    /// A screen of its own with the assistant's window open on it (the
    /// holder double-clicked it, or 打开证书助手 opened it), on the key of
    /// `conf`; shots go to `target/e2e/assistant/<business>/`, old ones
    /// removed.
    pub async fn open(assistant: &Assistant, conf: &Path, business: &str) -> Desk {
        let work = tempfile::tempdir().unwrap();
        let said_at = work.path().join("display");
        let script = format!(
            "printf '%s %s\\n' \"$DISPLAY\" \"$XAUTHORITY\" > '{}.part' && mv '{0}.part' '{0}'; exec sleep 86400",
            said_at.display()
        );
        let mut xvfb = crate::usb::xvfb_run();
        xvfb.args(["sh", "-c", &script]);
        let screen = Running::spawn(&mut xvfb);
        let started = Instant::now();
        let line = loop {
            if let Ok(s) = std::fs::read_to_string(&said_at) {
                break s;
            }
            assert!(
                started.elapsed() < WINDOW_WAIT,
                "xvfb-run gave no screen (scripts/test installs xvfb)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let mut parts = line.split_whitespace();
        let display = parts.next().unwrap().to_string();
        let xauthority = parts.next().unwrap_or_default().to_string();
        let dir = bins::target_dir().join("e2e/assistant").join(business);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut desk = Desk {
            display,
            xauthority,
            window: None,
            id: String::new(),
            opened: assistant.opened_log(),
            _screen: screen,
            dir,
            shots: 0,
            work,
        };
        // The X server answers before anything is drawn on it.
        desk.until("the X server answers", |d| {
            d.x(&["getdisplaygeometry"]).status.success()
        })
        .await;
        let mut window = assistant.command(conf);
        window
            .env("DISPLAY", &desk.display)
            .env("XAUTHORITY", &desk.xauthority)
            .env("CERTHALL_ASSISTANT_ZOOM", "2")
            .arg("gui");
        // The keyboard goes to the window (no window manager here to give it
        // focus on a click).
        desk.id = desk.start_window(&mut window).await;
        let focused = desk.x(&["windowfocus", "--sync", &desk.id]);
        assert!(focused.status.success(), "{}", said(&focused));
        // Made as large as a holder with a large zoom would make it, so all
        // of 办事大厅 shows without scrolling.
        let sized = desk.x(&["windowsize", &desk.id, "1280", "1150"]);
        assert!(sized.status.success(), "{}", said(&sized));
        desk
    }

    /// [`Desk::open`], then the PIN typed as the holder types it (the field
    /// has the keyboard), then 办事大厅 (shot).
    /// Returns the window and the shot of 办事大厅.
    pub async fn open_signed_in(
        assistant: &Assistant,
        conf: &Path,
        business: &str,
    ) -> (Desk, PathBuf) {
        let mut desk = Desk::open(assistant, conf, business).await;
        desk.shot("key", &["证书介质", "登录"]).await;
        desk.type_text(PIN, &["Return"]);
        desk.shot("signed-in", &["已登录"]).await;
        desk.click("办事大厅").await;
        let hall = desk.shot("hall", &["在线新办", "证书注销"]).await;
        (desk, hall)
    }

    /// `xdotool ARGS` on this screen.
    fn x(&self, args: &[&str]) -> std::process::Output {
        self.on_screen("xdotool")
            .args(args)
            .output()
            .expect("xdotool is installed (scripts/test installs it)")
    }

    fn on_screen(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.display)
            .env("XAUTHORITY", &self.xauthority);
        cmd
    }

    /// Waits (up to [`WINDOW_WAIT`]) until `ok` holds.
    async fn until(&mut self, what: &str, mut ok: impl FnMut(&mut Desk) -> bool) {
        let started = Instant::now();
        while !ok(self) {
            assert!(started.elapsed() < WINDOW_WAIT, "timed out: {what}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Starts the window and returns its X id once it is mapped. A window
    /// that ends before it shows (it happened once in CI, under load, with
    /// nothing said) is started once more, as a holder would double-click
    /// again; what it printed is shown either way, and a second failure, or
    /// a window that runs but never shows, fails the test with it.
    async fn start_window(&mut self, window: &mut Command) -> String {
        let log = self.work.path().join("window.log");
        for attempt in 1..=2 {
            self.window = Some(Running::spawn_logged(window, &log));
            let started = Instant::now();
            loop {
                let o = self.x(&["search", "--onlyvisible", "--class", "certhall-assistant"]);
                let id = String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !id.is_empty() {
                    return id;
                }
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                if let Some(status) = self.window.as_mut().and_then(Running::ended) {
                    eprintln!("[desk] the window ended before it showed ({status}):\n{said}");
                    assert!(
                        attempt < 2,
                        "the assistant's window ended twice before it showed"
                    );
                    break;
                }
                assert!(
                    started.elapsed() < WINDOW_WAIT,
                    "timed out: the assistant's window appears; it said:\n{said}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        unreachable!("the second attempt returns or fails")
    }

    /// Where the window's top left corner is on the screen.
    fn origin(&self) -> (i32, i32) {
        let o = self.x(&["getwindowgeometry", "--shell", &self.id]);
        let text = String::from_utf8_lossy(&o.stdout);
        let at = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (at("X="), at("Y="))
    }

    /// The window shot now, and the lines Tesseract reads in it, placed on
    /// the screen. (The window alone: Tesseract reads a page of text, and
    /// misses much of it beside the screen's empty black.)
    fn read(&self, file: &Path) -> Option<Vec<Line>> {
        let shot = self
            .on_screen("import")
            .args(["-window", &self.id])
            .arg(file)
            .output()
            .ok()?;
        if !shot.status.success() {
            return None;
        }
        let (dx, dy) = self.origin();
        // Read three times: as drawn, and black on white (where a selected
        // tab's blue or a button's grey costs Tesseract whole lines; the plain
        // picture loses a short line the coloured one keeps), the latter also
        // with the Chinese model alone (the English one, beside it, once read
        // the tab 办事大厅 as "DBAT").
        let plain = file.with_extension("ocr.png");
        let made = Command::new("convert")
            .arg(file)
            .args(["-colorspace", "Gray", "-threshold", "60%"])
            .arg(&plain)
            .output()
            .ok()?;
        if !made.status.success() {
            return None;
        }
        let mut lines = Vec::new();
        for (picture, models) in [
            (file, "chi_sim+eng"),
            (plain.as_path(), "chi_sim+eng"),
            (plain.as_path(), "chi_sim"),
        ] {
            let tsv = Command::new("tesseract")
                .arg(picture)
                .args(["-", "-l", models, "tsv"])
                .output()
                .ok()?;
            if !tsv.status.success() {
                return None;
            }
            lines.extend(lines_of(&String::from_utf8_lossy(&tsv.stdout)));
        }
        for g in lines.iter_mut().flat_map(|l| l.glyphs.iter_mut()) {
            g.x0 += dx;
            g.x1 += dx;
            g.y0 += dy;
            g.y1 += dy;
        }
        Some(lines)
    }

    /// Reads the screen until every one of `words` is on it; the lines read.
    async fn wait_for(&mut self, words: &[&str]) -> Vec<Line> {
        let raw = self.work.path().join("screen.png");
        let want: Vec<String> = words
            .iter()
            .map(|w| w.chars().filter(|c| !c.is_whitespace()).collect())
            .collect();
        let started = Instant::now();
        let mut last = String::new();
        loop {
            if let Some(lines) = self.read(&raw) {
                let all: String = lines.iter().map(Line::text).collect::<Vec<_>>().join("\n");
                if want.iter().all(|w| all.contains(w.as_str())) {
                    return lines;
                }
                last = all;
            }
            if started.elapsed() > WINDOW_WAIT {
                // The screen as it was, beside the shots, for whoever reads
                // the failure.
                let kept = self.dir.join(format!("{:02}-failed.png", self.shots + 1));
                let _ = std::fs::copy(&raw, &kept);
                panic!(
                    "the window never showed {words:?} (screen kept as {}); it read:\n{last}\n\
                     links it opened in the browser:\n{}",
                    kept.display(),
                    std::fs::read_to_string(&self.opened).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until the window shows every one of `words`, then keeps that
    /// screen as the next shot, `NN-<name>.png`; its path.
    pub async fn shot(&mut self, name: &str, words: &[&str]) -> PathBuf {
        self.wait_for(words).await;
        self.shots += 1;
        let file = self.dir.join(format!("{:02}-{name}.png", self.shots));
        let raw = self.work.path().join("screen.png");
        std::fs::copy(&raw, &file).unwrap();
        file
    }

    /// Clicks the button that says `label`, once the window shows it. Where
    /// the words appear more than once (a message naming the business, the
    /// reason under its button), the button's stand apart as whole words,
    /// on the shortest line. The mouse then leaves the window, as a
    /// holder's hand leaves the mouse: a hovered button is drawn darker, and
    /// Tesseract then misses its row.
    pub async fn click(&mut self, label: &str) {
        let words: Vec<char> = label.chars().filter(|c| !c.is_whitespace()).collect();
        let lines = self.wait_for(&[label]).await;
        let (x, y, line) = lines
            .iter()
            .filter_map(|l| {
                l.find(&words)
                    .map(|(at, apart)| ((l.glyphs.len(), !apart, at.1), (at.0, at.1, l.text())))
            })
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, at)| at)
            .expect("wait_for found the words");
        eprintln!("[desk] {label}: clicked at {x},{y} on the line {line}");
        let (x, y) = (x.to_string(), y.to_string());
        let o = self.x(&[
            "mousemove",
            "--sync",
            &x,
            &y,
            "sleep",
            "0.2",
            "mousedown",
            "1",
            "sleep",
            "0.1",
            "mouseup",
            "1",
            "sleep",
            "0.2",
            "mousemove",
            "1590",
            "1190",
        ]);
        assert!(o.status.success(), "{}", said(&o));
    }

    /// Types `text` into the field that has the keyboard, then `keys` (such
    /// as `Tab` or `Return`).
    pub fn type_text(&self, text: &str, keys: &[&str]) {
        let o = self.x(&["type", "--delay", "60", "--", text]);
        assert!(o.status.success(), "{}", said(&o));
        for key in keys {
            let o = self.x(&["key", "--delay", "60", key]);
            assert!(o.status.success(), "{}", said(&o));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_found_across_words_of_a_line() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   5\t1\t1\t1\t1\t1\t100\t50\t40\t20\t90\t证书\n\
                   5\t1\t1\t1\t1\t2\t200\t50\t40\t20\t90\t变更\n\
                   5\t1\t1\t1\t2\t1\t100\t90\t80\t20\t90\t在线延期\n";
        let lines = lines_of(tsv);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "证书变更");
        // 证书 and 变更 stand 60 pixels apart, as two buttons do.
        assert_eq!(lines[0].find(&['证', '书']), Some(((120, 60), true)));
        assert_eq!(lines[0].find(&['变', '更']), Some(((220, 60), true)));
        // 书 touches 证: not apart.
        assert_eq!(lines[0].find(&['书', '变']), Some(((170, 60), false)));
        let want: Vec<char> = "延期".chars().collect();
        assert_eq!(lines[1].find(&want), Some(((160, 100), false)));
        assert_eq!(lines[1].find(&['证']), None);
    }
}
