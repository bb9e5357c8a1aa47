//! The review desk's part of 签章变更 (the seals themselves are shown as
//! pictures by the page).

use domain::ProfileKind;
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};

pub(super) const HEADINGS: Headings = Headings {
    title: "签章变更前后对比",
    new_column: "申请变更为",
    changed_badge: "更换",
};

/// 签章变更: the certificate stays; the seal is compared as pictures below.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let form = &d.app.form;
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
        label: "电子印章",
        old: "原印章（见下图）".into(),
        new: "新印章（见下图）".into(),
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
