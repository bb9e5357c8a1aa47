//! The review desk's part of 注销: the certificate as it is, and the reason.

use domain::ProfileKind;
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};
use crate::admin::when;

pub(super) const HEADINGS: Headings = Headings {
    title: "注销申请",
    new_column: "申请",
    changed_badge: "注销",
};

/// 注销: the certificate as it is, and what the holder asks.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let form = &d.app.form;
    let reason = form
        .revoke_reason
        .parse::<domain::RevocationReason>()
        .map(|r| format!("{}（{}）", r.label_zh(), r.name()))
        .unwrap_or_default();
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: form.old.common_name.clone(),
        new: String::new(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: form.old.organization.clone(),
            new: String::new(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "有效期",
        old: format!(
            "{} 至 {}",
            when(form.old_not_before),
            when(form.old_not_after)
        ),
        new: "注销后立即失效".into(),
        changed: true,
    });
    rows.push(Compare {
        label: "注销原因",
        old: String::new(),
        new: reason,
        changed: false,
    });
    rows.push(Compare {
        label: "补充说明",
        old: String::new(),
        new: form.fields.reason.clone(),
        changed: false,
    });
    rows
}
