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
         Comment=证书介质（USB Key）与网上业务\nExec=\"{exe}\" --server {server} open %u\n\
         Terminal=false\nCategories=Utility;Security;\nMimeType=x-scheme-handler/certhall;\n"
    )
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
