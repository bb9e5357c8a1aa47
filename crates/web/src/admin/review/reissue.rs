//! The review desk's part of 在线补办: the same certificate on a new key.

use ra::review::ReviewDetail;

use super::compare::{Compare, Headings, old_validity, revocation_reason, subject};
use crate::admin::when;

pub(super) const HEADINGS: Headings = Headings {
    title: "补办前后对比",
    new_column: "补办后",
    changed_badge: "更换",
};

/// 在线补办: the certificate stays as it is, on a new key; the old one is
/// revoked with the holder's reason.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let mut rows = subject(d, true);
    rows.push(Compare {
        label: "有效期",
        old: old_validity(d),
        new: format!("至 {}（不变）", when(d.app.form.old_not_after)),
        changed: false,
    });
    rows.push(Compare::changes(
        "证书介质",
        revocation_reason(d),
        "新介质、新密钥",
    ));
    rows.push(Compare::asked(
        "联系手机",
        &d.app.form.fields.contact_mobile,
    ));
    rows
}
