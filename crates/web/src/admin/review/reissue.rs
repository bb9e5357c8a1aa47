//! The review desk's part of 在线补办: the same certificate on a new key.

use domain::ProfileKind;
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};
use crate::admin::when;

pub(super) const HEADINGS: Headings = Headings {
    title: "补办前后对比",
    new_column: "补办后",
    changed_badge: "更换",
};

/// 在线补办: the certificate stays as it is, on a new key; the old one is
/// revoked with the holder's reason.
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
        new: form.old.common_name.clone(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: form.old.organization.clone(),
            new: form.old.organization.clone(),
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
        new: format!("至 {}（不变）", when(form.old_not_after)),
        changed: false,
    });
    rows.push(Compare {
        label: "证书介质",
        old: reason,
        new: "新介质、新密钥".into(),
        changed: true,
    });
    rows.push(Compare {
        label: "联系手机",
        old: String::new(),
        new: form.fields.contact_mobile.clone(),
        changed: false,
    });
    rows
}
