//! The assistant's settings file: the drivers of the holder's keys, for the
//! window started from the desktop (no flags). One per line:
//!
//! ```text
//! # ~/.config/certhall-assistant/drivers
//! skf /usr/lib/x86_64-linux-gnu/libskf.so
//! pkcs11 /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
//! ```
//!
//! A vendor's installer (or the CA's package) adds its library here; every
//! key any of them sees is offered.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The drivers a settings file names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DriverSettings {
    pub pkcs11: Vec<PathBuf>,
    pub skf: Vec<PathBuf>,
}

/// `$XDG_CONFIG_HOME/certhall-assistant/drivers` (or under ~/.config).
pub fn drivers_file() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("certhall-assistant").join("drivers"))
}

/// The drivers the file names; no file is no drivers. A line that is not
/// `skf PATH` or `pkcs11 PATH` is an error naming the line.
pub fn read_drivers(file: &Path) -> Result<DriverSettings, Error> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DriverSettings::default()),
        Err(e) => {
            return Err(Error::Usage(format!(
                "无法读取设置文件 {}：{e}",
                file.display()
            )));
        }
    };
    let mut out = DriverSettings::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(char::is_whitespace) {
            Some(("skf", path)) => out.skf.push(PathBuf::from(path.trim())),
            Some(("pkcs11", path)) => out.pkcs11.push(PathBuf::from(path.trim())),
            _ => {
                return Err(Error::Usage(format!(
                    "设置文件 {} 第 {} 行无法识别（应为“skf 路径”或“pkcs11 路径”）",
                    file.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_drivers_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("drivers");
        assert_eq!(read_drivers(&file).unwrap(), DriverSettings::default());
        std::fs::write(&file, "# keys\nskf /a/libskf.so\n\npkcs11  /b/p11.so\n").unwrap();
        let read = read_drivers(&file).unwrap();
        assert_eq!(read.skf, [PathBuf::from("/a/libskf.so")]);
        assert_eq!(read.pkcs11, [PathBuf::from("/b/p11.so")]);
        std::fs::write(&file, "skf /a\nlibskf.so\n").unwrap();
        let e = read_drivers(&file).unwrap_err().to_string();
        assert!(e.contains("第 2 行"), "{e}");
    }
}
