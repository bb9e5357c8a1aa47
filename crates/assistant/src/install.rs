//! Installing for the signed-in user on Linux (the plain download; the `.deb`
//! puts the same entries under `/usr` and `/etc/xdg`): the program goes to
//! `~/.local/bin`, a desktop entry to `~/.local/share/applications` that
//! handles `certhall://` links (so the portal's 打开证书助手 opens the
//! assistant), an autostart entry that runs the local bridge at login (so the
//! 证书变更 page finds the assistant), and the icon; the handler is registered
//! with `xdg-mime` where it exists. Nothing needs root.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The desktop entry: the window, and the handler of `certhall://` links.
pub fn desktop_entry(exe: &str, server: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=数字证书助手\nName[en]=certhall certificate assistant\n\
         Comment=证书介质（USB Key）与网上业务\nExec={} --server {} open %u\n\
         Icon=certhall-assistant\nTerminal=false\nCategories=Utility;Security;\n\
         Keywords=证书;数字证书;USBKey;UKey;certificate;\n\
         MimeType=x-scheme-handler/certhall;\n",
        exec_word(exe),
        exec_word(server),
    )
}

/// The autostart entry (XDG Autostart spec): the local bridge at login, in
/// the background, no window and no menu item.
pub fn autostart_entry(exe: &str, server: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=数字证书助手（本地服务）\n\
         Name[en]=certhall certificate assistant (local service)\n\
         Comment=让证书网上服务平台的网页检测到证书助手\nExec={} --server {} bridge\n\
         Icon=certhall-assistant\nTerminal=false\nNoDisplay=true\nX-GNOME-Autostart-enabled=true\n",
        exec_word(exe),
        exec_word(server),
    )
}

/// The icon (hicolor theme, scalable).
pub const ICON_SVG: &str = include_str!("../assets/certhall-assistant.svg");

/// Characters the Desktop Entry spec ("The Exec key") reserves: an argument
/// holding one must be quoted.
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// One argument of `Exec`. Bare when it needs no quoting: the only form
/// Debian's generic `xdg-open` (no desktop environment set) understands, as it
/// splits the line on spaces and keeps quotes as part of the word. Otherwise
/// quoted as the spec says (`"`, `` ` ``, `$`, `\` escaped inside the quotes,
/// then every `\` doubled as in any string value), which gio and kde-open
/// follow. A literal `%` is `%%` either way.
fn exec_word(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    if !arg.is_empty() && !arg.contains(RESERVED) {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted.replace('\\', "\\\\")
}

/// Installs; returns what was done, line by line, for the holder.
pub fn install(server: &str) -> Result<Vec<String>, Error> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| Error::Usage("找不到用户主目录（HOME）".into()))?;
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    let me = std::env::current_exe().map_err(|e| fail("找不到本程序", e))?;
    let target = installed_exe()?;
    let exe = target.display().to_string();
    if me != target {
        write(
            &target,
            &std::fs::read(&me).map_err(|e| fail("无法读取本程序", e))?,
        )?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| fail("无法设置程序权限", e))?;
    }
    let desktop = home.join(".local/share/applications/certhall-assistant.desktop");
    write(&desktop, desktop_entry(&exe, server).as_bytes())?;
    let autostart = config.join("autostart/certhall-assistant-bridge.desktop");
    write(&autostart, autostart_entry(&exe, server).as_bytes())?;
    write(
        &home.join(".local/share/icons/hicolor/scalable/apps/certhall-assistant.svg"),
        ICON_SVG.as_bytes(),
    )?;
    let mut done = vec![
        format!("已安装：{}", target.display()),
        format!("桌面项：{}", desktop.display()),
        format!("开机自动运行本地服务：{}", autostart.display()),
    ];
    let registered = std::process::Command::new("xdg-mime")
        .args([
            "default",
            "certhall-assistant.desktop",
            "x-scheme-handler/certhall",
        ])
        .status()
        .is_ok_and(|s| s.success());
    done.push(if registered {
        "已登记 certhall:// 链接：网页上的“打开证书助手”将打开本程序".into()
    } else {
        "未找到 xdg-mime：请在桌面环境中将 certhall:// 链接关联到“数字证书助手”".into()
    });
    Ok(done)
}

/// The package's entries under `root` (`/usr/share/applications`,
/// `/etc/xdg/autostart`): the program by name, found on PATH.
pub fn write_system_entries(root: &Path, server: &str) -> Result<(), Error> {
    const EXE: &str = "certhall-assistant";
    write(
        &root.join("usr/share/applications/certhall-assistant.desktop"),
        desktop_entry(EXE, server).as_bytes(),
    )?;
    write(
        &root.join("etc/xdg/autostart/certhall-assistant-bridge.desktop"),
        autostart_entry(EXE, server).as_bytes(),
    )
}

/// Where `install` puts the program: `~/.local/bin/certhall-assistant`.
pub fn installed_exe() -> Result<PathBuf, Error> {
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".local/bin/certhall-assistant"))
        .ok_or_else(|| Error::Usage("找不到用户主目录（HOME）".into()))
}

fn fail(what: &str, e: std::io::Error) -> Error {
    Error::Usage(format!("{what}：{e}"))
}

/// Writes a file of the install, its folder made first; a program being
/// replaced while it runs is written beside and renamed over.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail("无法创建目录", e))?;
    }
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| fail(&format!("无法写入 {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_bare_and_others_are_quoted_as_the_spec_says() {
        assert_eq!(
            exec_word("/usr/bin/certhall-assistant"),
            "/usr/bin/certhall-assistant"
        );
        assert_eq!(
            exec_word("https://ca.example.cn:8443"),
            "https://ca.example.cn:8443"
        );
        assert_eq!(exec_word("/home/张 三/bin/a"), "\"/home/张 三/bin/a\"");
        // `$` escaped inside the quotes (\$), then the backslash doubled.
        assert_eq!(exec_word("/opt/a$b"), "\"/opt/a\\\\$b\"");
        assert_eq!(exec_word("http://h/?a=50%"), "\"http://h/?a=50%%\"");
        assert_eq!(exec_word(""), "\"\"");
    }
}
