//! `[database]`: SQLite in the data directory, or PostgreSQL.

use std::path::Path;

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: SQLite in the data
    /// directory. `CERTHALL_DATABASE_URL` and `--database-url` override it.
    pub url: Option<String>,
}

impl DatabaseConfig {
    /// The URL to use: the override, the file's, or SQLite in `data_dir`.
    pub(super) fn resolve(
        self,
        url: Option<String>,
        data_dir: &Path,
    ) -> Result<String, ConfigError> {
        let url = url
            .filter(|u| !u.is_empty())
            .or(self.url.filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("certhall.db").display()));
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(bad(
                "database.url",
                "must start with sqlite:// or postgres://",
            ));
        }
        Ok(url)
    }
}
