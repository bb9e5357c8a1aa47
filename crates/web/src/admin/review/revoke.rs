//! The review desk's part of 注销: the certificate as it is, and the reason.

use ra::review::ReviewDetail;

use super::compare::{Compare, Headings, old_validity, revocation_reason, subject};

pub(super) const HEADINGS: Headings = Headings {
    title: "注销申请",
    new_column: "申请",
    changed_badge: "注销",
};

/// 注销: the certificate as it is, and what the holder asks.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let mut rows = subject(d, false);
    rows.push(Compare::changes(
        "有效期",
        old_validity(d),
        "注销后立即失效",
    ));
    rows.push(Compare::asked("注销原因", revocation_reason(d)));
    rows.push(Compare::asked("补充说明", &d.app.form.fields.reason));
    rows
}
