//! The review desk's part of 签章变更 (the seals themselves are shown as
//! pictures by the page).

use ra::review::ReviewDetail;

use super::compare::{Compare, Headings, subject};

pub(super) const HEADINGS: Headings = Headings {
    title: "签章变更前后对比",
    new_column: "申请变更为",
    changed_badge: "更换",
};

/// 签章变更: the certificate stays; the seal is compared as pictures below.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let mut rows = subject(d, true);
    rows.push(Compare::changes(
        "电子印章",
        "原印章（见下图）",
        "新印章（见下图）",
    ));
    rows.push(Compare::asked(
        "联系手机",
        &d.app.form.fields.contact_mobile,
    ));
    rows
}
