//! How a stored certificate is presented to the public (query page, JSON API):
//! status computed at read time, times in the reader's format, personal data
//! masked.

use ca::asn1time;
use domain::RevocationReason;
use serde::Serialize;
use store::certificates::CertificateRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    Revoked,
    Expired,
}

impl Status {
    pub fn of(row: &CertificateRow, now_ms: i64) -> Self {
        if row.revoked_at.is_some() {
            Status::Revoked
        } else if row.not_after <= now_ms {
            Status::Expired
        } else {
            Status::Valid
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Valid => "有效",
            Status::Revoked => "已吊销",
            Status::Expired => "已过期",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Status::Valid => "ok",
            Status::Revoked => "bad",
            Status::Expired => "muted",
        }
    }
}

/// A certificate as the 证书查询 page shows it.
pub struct CertificateView {
    pub serial: String,
    pub holder: String,
    pub organization: String,
    pub credit_code: String,
    pub profile_zh: &'static str,
    pub status: Status,
    pub not_before: String,
    pub not_after: String,
    pub revoked: String,
}

impl CertificateView {
    pub fn new(row: &CertificateRow, now_ms: i64) -> Self {
        let profile_zh = match row.profile.as_str() {
            "enterprise" => "机构证书",
            _ => "个人证书",
        };
        let revoked = match (row.revoked_at, row.revocation_reason) {
            (Some(at), reason) => {
                let why = reason
                    .and_then(|r| u8::try_from(r).ok())
                    .and_then(RevocationReason::from_code)
                    .map(RevocationReason::label_zh)
                    .unwrap_or("未指定");
                format!("{}（{why}）", asn1time::beijing_minutes(at))
            }
            (None, _) => String::new(),
        };
        CertificateView {
            serial: row.serial.clone(),
            holder: row.common_name.clone(),
            organization: row.organization.clone().unwrap_or_default(),
            credit_code: row.credit_code.clone().unwrap_or_default(),
            profile_zh,
            status: Status::of(row, now_ms),
            not_before: asn1time::beijing_minutes(row.not_before),
            not_after: asn1time::beijing_minutes(row.not_after),
            revoked,
        }
    }
}
