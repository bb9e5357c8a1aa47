//! `[blobs]`: where materials and invoices are kept.

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlobsConfig {
    /// Where materials and invoices are kept: empty for `<data_dir>/blobs`, or
    /// `s3://bucket/prefix` (credentials and endpoint from the AWS_* variables).
    pub url: Option<String>,
}

impl BlobsConfig {
    /// `None`: `<data_dir>/blobs`.
    pub(super) fn resolve(self) -> Result<Option<String>, ConfigError> {
        let blobs_url = self.url.filter(|u| !u.is_empty());
        if let Some(u) = &blobs_url
            && !u.starts_with("s3://")
        {
            return Err(bad(
                "blobs.url",
                format!("`{u}` must be empty (local) or s3://bucket"),
            ));
        }
        Ok(blobs_url)
    }
}
