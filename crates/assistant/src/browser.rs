//! The holder's browser, which the command line and the window both open on
//! the single-use links of the platform's forms.

/// Opens the holder's browser on a link, where there is one to open.
pub(crate) fn open(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("无法自动打开浏览器（{e}），请手动打开上面的链接");
    }
}
