//! `[branding]`: the platform's name, operator, hotline, logo, and the
//! assistant build 下载并安装 serves.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrandingConfig {
    /// Shown in the header and page titles.
    pub platform_name: String,
    /// The CA operator's name (footer).
    pub operator: String,
    /// 客服热线.
    pub hotline: String,
    /// A logo file (PNG, JPEG or SVG) for the header. Default: none (initials).
    pub logo: Option<PathBuf>,
    /// The certificate assistant's build that 下载并安装 serves. Default:
    /// `certhall-assistant` next to the `certhall` program, if it is there.
    pub assistant_build: Option<PathBuf>,
    /// The assistant's Debian package (`scripts/package-assistant`), which
    /// 下载并安装 offers first. Default: `certhall-assistant_<version>_amd64.deb`
    /// next to the `certhall` program, if it is there (where the script puts
    /// it by default).
    pub assistant_package: Option<PathBuf>,
}

impl Default for BrandingConfig {
    fn default() -> Self {
        BrandingConfig {
            platform_name: "certhall 证书网上服务平台".into(),
            operator: "certhall".into(),
            hotline: "400-000-0000".into(),
            logo: None,
            assistant_build: None,
            assistant_package: None,
        }
    }
}

impl BrandingConfig {
    pub(super) fn resolve(self) -> Result<web::Branding, ConfigError> {
        let b = self;
        for (field, value) in [
            ("branding.platform_name", &b.platform_name),
            ("branding.operator", &b.operator),
            ("branding.hotline", &b.hotline),
        ] {
            if value.trim().is_empty() {
                return Err(bad(field, "must not be empty"));
            }
        }
        Ok(web::Branding {
            logo: match b.logo {
                Some(path) => Some(std::sync::Arc::new(logo(&path)?)),
                None => None,
            },
            assistant_build: b
                .assistant_build
                .or_else(|| beside_certhall("certhall-assistant")),
            assistant_package: match b.assistant_package {
                Some(path) => Some(package(path)?),
                None => beside_certhall(&format!(
                    "certhall-assistant_{}_amd64.deb",
                    env!("CARGO_PKG_VERSION")
                )),
            },
            platform_name: b.platform_name,
            operator: b.operator,
            hotline: b.hotline,
        })
    }
}

/// A file of that name next to the `certhall` program, if there is one.
fn beside_certhall(name: &str) -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .map(|e| e.with_file_name(name))
        .filter(|p| p.is_file())
}

/// The configured package, checked to be one (a Debian package is an `ar`
/// archive whose first member is `debian-binary`), so a wrong path is said
/// at start-up rather than served to holders.
fn package(path: PathBuf) -> Result<PathBuf, ConfigError> {
    use std::io::Read;
    let mut head = [0u8; 21];
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| {
            bad(
                "branding.assistant_package",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
    if &head[..8] != b"!<arch>\n" || &head[8..21] != b"debian-binary" {
        return Err(bad(
            "branding.assistant_package",
            format!("{} is not a Debian package (.deb)", path.display()),
        ));
    }
    Ok(path)
}

/// The logo's content type and bytes, checked by content.
fn logo(path: &Path) -> Result<(String, Vec<u8>), ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        bad(
            "branding.logo",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
        "image/svg+xml"
    } else {
        return Err(bad("branding.logo", "must be a PNG, JPEG or SVG file"));
    };
    Ok((kind.to_string(), bytes))
}
