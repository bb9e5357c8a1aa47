//! The comparison at the top of an application on the review desk: each
//! business says what is compared (its module's `rows`) and how it is headed.

use domain::ProfileKind;
use ra::review::ReviewDetail;

use crate::admin::when;

/// One row of the old/new comparison.
pub(super) struct Compare {
    pub label: &'static str,
    pub old: String,
    pub new: String,
    pub changed: bool,
}

impl Compare {
    /// What the holder asks, beside an empty old column.
    pub(super) fn asked(label: &'static str, new: impl Into<String>) -> Self {
        Compare {
            label,
            old: String::new(),
            new: new.into(),
            changed: false,
        }
    }

    /// What the business changes: old and new, marked.
    pub(super) fn changes(
        label: &'static str,
        old: impl Into<String>,
        new: impl Into<String>,
    ) -> Self {
        Compare {
            label,
            old: old.into(),
            new: new.into(),
            changed: true,
        }
    }
}

/// The certificate's subject as it is (the name; the organisation of a
/// 机构证书): `kept` shows it in the new column too, else the new column is
/// empty.
pub(super) fn subject(d: &ReviewDetail, kept: bool) -> Vec<Compare> {
    let old = &d.app.form.old;
    let row = |label, value: &str| Compare {
        label,
        old: value.to_string(),
        new: if kept {
            value.to_string()
        } else {
            String::new()
        },
        changed: false,
    };
    let mut rows = vec![row("姓名 / 证书名称", &old.common_name)];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(row("单位名称", &old.organization));
    }
    rows
}

/// The old certificate's validity, `from 至 to`.
pub(super) fn old_validity(d: &ReviewDetail) -> String {
    let f = &d.app.form;
    format!("{} 至 {}", when(f.old_not_before), when(f.old_not_after))
}

/// The reason given for revoking the old certificate, in Chinese with its
/// RFC 5280 name.
pub(super) fn revocation_reason(d: &ReviewDetail) -> String {
    d.app
        .form
        .revoke_reason
        .parse::<domain::RevocationReason>()
        .map(|r| format!("{}（{}）", r.label_zh(), r.name()))
        .unwrap_or_default()
}

/// What the comparison is of: its heading, the new column's heading, the
/// badge of a changed row.
pub(super) struct Headings {
    pub title: &'static str,
    pub new_column: &'static str,
    pub changed_badge: &'static str,
}
