//! The desktop: `gui` (the window), `open` (the `certhall://` links of the
//! portal), `bridge` (what the portal's page asks on 127.0.0.1) and `install`.

use std::io::Write;
use std::os::unix::process::CommandExt;

use crate::error::Error;
use crate::gui::{self, Page};

use super::args::Cli;
use super::key::drivers;
use super::term::io;

/// `gui`: the window on `page`.
pub(super) fn gui(cli: &Cli, page: Page) -> Result<(), Error> {
    let drivers = drivers(cli)?;
    gui::run(drivers, &cli.server, page, None)
}

/// `open`: what a `certhall://` link opens (打开证书助手): the window, on
/// 办事大厅 when the link names a business. A link the portal would not make
/// is refused, said on stderr and at the top of the window's first page.
pub(super) fn open(cli: &Cli, url: &str) -> Result<(), Error> {
    let (page, notice) = match crate::link::parse(url) {
        Ok(link) if link.business.is_some() => (Page::Hall, None),
        Ok(_) => (Page::Keys, None),
        Err(why) => {
            eprintln!("错误：{why}");
            (Page::Keys, Some(why))
        }
    };
    let drivers = drivers(cli)?;
    gui::run(drivers, &cli.server, page, notice)
}

/// `bridge`: answers the pages of `allow_origin` (default: the server's).
pub(super) fn bridge(cli: &Cli, port: u16, allow_origin: &[String]) -> Result<(), Error> {
    let mut allowed: Vec<String> = allow_origin
        .iter()
        .filter_map(|o| crate::bridge::origin_of(o))
        .collect();
    if allowed.is_empty() {
        allowed.extend(crate::bridge::origin_of(&cli.server));
    }
    let drivers = drivers(cli)?;
    crate::bridge::serve(drivers, port, allowed)
}

/// `install`: the program, a desktop entry, the `certhall://` handler and
/// the bridge at login; then the window (图 2.5), as a graphical installer
/// ends, when there is a display to open it on.
pub(super) fn install(cli: &Cli, no_window: bool, out: &mut dyn Write) -> Result<(), Error> {
    let done = crate::install::install(&cli.server)?;
    for line in done {
        writeln!(out, "{line}").map_err(io)?;
    }
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !no_window && display {
        let installed = crate::install::installed_exe()?;
        let opened = std::process::Command::new(installed)
            .args(["--server", &cli.server, "gui"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .is_ok();
        if opened {
            writeln!(out, "已打开数字证书助手").map_err(io)?;
        }
    }
    Ok(())
}

/// `desktop-entries ROOT`: the package's entries, the program found on PATH
/// as `/usr/bin/certhall-assistant` is.
pub(super) fn entries(cli: &Cli, root: &std::path::Path) -> Result<(), Error> {
    crate::install::write_system_entries(root, &cli.server)
}
