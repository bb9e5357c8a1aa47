//! `[portal]`: upload limits and quotas, SMS codes, 找回密码 review, the
//! 在线延期 window.

use std::time::Duration;

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalConfig {
    /// Largest upload, MB. Default 10.
    pub upload_limit_mb: usize,
    /// What one holder's unfinished applications may hold in all, MB.
    /// Default 100.
    pub upload_quota_mb: usize,
    /// …and in files. Default 40.
    pub upload_quota_files: i64,
    /// Uploads per holder per hour. Default 60.
    pub uploads_per_hour: i64,
    /// The SMS signature, 【…】. Default: branding.operator.
    pub sms_signature: Option<String>,
    /// How long an SMS code is valid, seconds. Default 300.
    pub sms_code_seconds: u64,
    /// Codes per number per hour. Default 5 (and at most one a minute).
    pub sms_per_number_hourly: i64,
    /// Codes per client address per hour. Default 20.
    pub sms_per_client_hourly: i64,
    /// 找回密码 needs a reviewer's approval after the SMS check. Default false.
    pub unlock_review: bool,
    /// 在线延期 is offered from this many days before a certificate's end…
    /// Default 90.
    pub renewal_before_days: u32,
    /// …until this many days after it. Default 365.
    pub renewal_after_days: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            upload_limit_mb: 10,
            upload_quota_mb: 100,
            upload_quota_files: 40,
            uploads_per_hour: 60,
            sms_signature: None,
            sms_code_seconds: 300,
            sms_per_number_hourly: 5,
            sms_per_client_hourly: 20,
            unlock_review: false,
            renewal_before_days: 90,
            renewal_after_days: 365,
        }
    }
}

/// Portal limits after validation.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub upload_limit: usize,
    pub upload_quota: ra::UploadQuota,
    pub sms_signature: String,
    pub sms_code_ttl: Duration,
    pub sms_per_number_hourly: i64,
    pub sms_per_client_hourly: i64,
    pub unlock_review: bool,
    pub renewal: domain::renewal::RenewalWindow,
}

impl PortalConfig {
    /// `operator` signs the SMS when no signature is configured.
    pub(super) fn resolve(self, operator: &str) -> Result<PortalSettings, ConfigError> {
        let portal = self;
        if !(1..=100).contains(&portal.upload_limit_mb) {
            return Err(bad("portal.upload_limit_mb", "must be between 1 and 100"));
        }
        if !(portal.upload_limit_mb..=10_000).contains(&portal.upload_quota_mb) {
            return Err(bad(
                "portal.upload_quota_mb",
                "must be at least portal.upload_limit_mb and at most 10000",
            ));
        }
        if !(1..=1000).contains(&portal.upload_quota_files) {
            return Err(bad(
                "portal.upload_quota_files",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=10_000).contains(&portal.uploads_per_hour) {
            return Err(bad(
                "portal.uploads_per_hour",
                "must be between 1 and 10000",
            ));
        }
        if !(60..=1800).contains(&portal.sms_code_seconds) {
            return Err(bad(
                "portal.sms_code_seconds",
                "must be between 60 and 1800",
            ));
        }
        if portal.sms_per_number_hourly < 1 {
            return Err(bad("portal.sms_per_number_hourly", "must be at least 1"));
        }
        if portal.sms_per_client_hourly < 1 {
            return Err(bad("portal.sms_per_client_hourly", "must be at least 1"));
        }
        if !(1..=365).contains(&portal.renewal_before_days) {
            return Err(bad(
                "portal.renewal_before_days",
                "must be between 1 and 365",
            ));
        }
        if portal.renewal_after_days > 3650 {
            return Err(bad("portal.renewal_after_days", "must be at most 3650"));
        }
        Ok(PortalSettings {
            upload_limit: portal.upload_limit_mb * 1024 * 1024,
            upload_quota: ra::UploadQuota {
                bytes: (portal.upload_quota_mb * 1024 * 1024) as i64,
                files: portal.upload_quota_files,
                per_hour: portal.uploads_per_hour,
            },
            sms_signature: portal.sms_signature.unwrap_or_else(|| operator.to_string()),
            sms_code_ttl: Duration::from_secs(portal.sms_code_seconds),
            sms_per_number_hourly: portal.sms_per_number_hourly,
            sms_per_client_hourly: portal.sms_per_client_hourly,
            unlock_review: portal.unlock_review,
            renewal: domain::renewal::RenewalWindow {
                before_days: portal.renewal_before_days,
                after_days: portal.renewal_after_days,
            },
        })
    }
}
