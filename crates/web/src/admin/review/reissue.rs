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
    // 双证书: the reviewer sees that approving also lets the new key have
    // the earlier encryption keys back from the KMC (GM/T 0034 §12.4).
    if d.app.form.restore_earlier_keys {
        rows.push(Compare::asked(
            "原加密密钥",
            "取回（由密钥管理中心加密传入新证书介质）",
        ));
    }
    rows
}
