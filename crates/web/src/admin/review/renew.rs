//! The review desk's part of 在线延期: the old validity against the new one.

use ra::review::ReviewDetail;

use super::compare::{Compare, Headings, subject};
use crate::admin::when;

pub(super) const HEADINGS: Headings = Headings {
    title: "延期前后对比",
    new_column: "延期后",
    changed_badge: "延长",
};

/// 在线延期: the subject stays; the old validity against the new one.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let mut rows = subject(d, true);
    let Some(t) = &d.renewal else {
        return rows;
    };
    let issued = if t.issued {
        "（已签发）"
    } else {
        "（按今天签发计）"
    };
    rows.push(Compare::changes(
        "有效期",
        format!("{} 至 {}", when(t.old_not_before), when(t.old_not_after)),
        format!("至 {}{issued}", when(t.new_not_after)),
    ));
    rows.push(Compare::asked("延期年限", format!("{} 年", t.years)));
    rows.push(Compare::asked(
        "联系手机",
        &d.app.form.fields.contact_mobile,
    ));
    rows
}
