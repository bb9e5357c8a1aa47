//! One window per user and platform: the first window listens on a Unix
//! socket in the user's runtime directory (mode 0700, so only the same user
//! reaches it); a second `gui` or `open` (a click on 打开证书助手 while the
//! window is open) hands its page to the first, which comes to the front,
//! and ends. A socket left by a window that crashed answers nothing and is
//! replaced.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

use eframe::egui;
use sha2::{Digest, Sha256};

use super::view::Page;
use crate::error::Error;

/// Who opens the window.
pub enum Claim {
    /// This process: the listener for later ones.
    First(UnixListener),
    /// A window of this user for this platform runs and took the page.
    Handed,
}

/// The socket of the windows for `server`: `$XDG_RUNTIME_DIR` (or
/// `~/.cache`)`/certhall-assistant/window-<platform>.sock`.
fn socket(server: &str) -> Result<PathBuf, Error> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| Error::Usage("找不到用户主目录（HOME）".into()))?;
    let dir = base.join("certhall-assistant");
    let fail = |e: std::io::Error| Error::Usage(format!("无法创建目录 {}：{e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(fail)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    let platform = hex::encode(&Sha256::digest(server.as_bytes())[..8]);
    Ok(dir.join(format!("window-{platform}.sock")))
}

/// Hands `page` to a running window, or claims the socket for this one.
pub fn claim(server: &str, page: Page) -> Result<Claim, Error> {
    let path = socket(server)?;
    if let Ok(mut stream) = UnixStream::connect(&path) {
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        if stream
            .write_all(format!("{}\n", page_name(page)).as_bytes())
            .is_ok()
        {
            return Ok(Claim::Handed);
        }
    }
    // Nobody answered: a socket left behind, or none.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::Usage(format!("无法创建 {}：{e}", path.display())))?;
    Ok(Claim::First(listener))
}

/// Passes the pages later windows hand over to this one, waking it.
pub fn listen(listener: UnixListener, pages: Sender<Page>, ctx: egui::Context) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut line = String::new();
            // One short line; a longer one is not ours.
            let _ = BufReader::new(stream.take(32)).read_line(&mut line);
            let page = match line.trim() {
                "hall" => Page::Hall,
                "pin" => Page::Pin,
                "pickup" => Page::Pickup,
                "unlock" => Page::Unlock,
                "revoke" => Page::Revoke,
                _ => Page::Keys,
            };
            if pages.send(page).is_err() {
                return;
            }
            ctx.request_repaint();
        }
    });
}

fn page_name(page: Page) -> &'static str {
    match page {
        Page::Keys => "keys",
        Page::Hall => "hall",
        Page::Pin => "pin",
        Page::Pickup => "pickup",
        Page::Unlock => "unlock",
        Page::Revoke => "revoke",
    }
}
