//! Installing for the signed-in user on Linux: the program goes to
//! `~/.local/bin`, a desktop entry to `~/.local/share/applications` that handles
//! `certhall://` links (so the portal's 打开证书助手 opens the assistant), and the
//! handler is registered with `xdg-mime` where it exists. Nothing needs root.

use std::path::PathBuf;

use crate::error::Error;

/// The desktop entry: the window, and the handler of `certhall://` links.
pub fn desktop_entry(exe: &str, server: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=数字证书助手\nName[en]=certhall certificate assistant\n\
         Comment=证书介质（USB Key）与网上业务\nExec={} --server {} open %u\n\
         Terminal=false\nCategories=Utility;Security;\nMimeType=x-scheme-handler/certhall;\n",
        exec_word(exe),
        exec_word(server),
    )
}

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
    let fail = |what: &str, e: std::io::Error| Error::Usage(format!("{what}：{e}"));
    let bin_dir = home.join(".local/bin");
    let apps = home.join(".local/share/applications");
    std::fs::create_dir_all(&bin_dir).map_err(|e| fail("无法创建目录", e))?;
    std::fs::create_dir_all(&apps).map_err(|e| fail("无法创建目录", e))?;
    let me = std::env::current_exe().map_err(|e| fail("找不到本程序", e))?;
    let target = bin_dir.join("certhall-assistant");
    if me != target {
        std::fs::copy(&me, &target).map_err(|e| fail("无法复制程序", e))?;
    }
    let desktop = apps.join("certhall-assistant.desktop");
    std::fs::write(
        &desktop,
        desktop_entry(&target.display().to_string(), server),
    )
    .map_err(|e| fail("无法写入桌面项", e))?;
    let mut done = vec![
        format!("已安装：{}", target.display()),
        format!("桌面项：{}", desktop.display()),
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
