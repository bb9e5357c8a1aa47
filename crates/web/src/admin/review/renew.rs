//! The review desk's part of 在线延期: the old validity against the new one.

use domain::ProfileKind;
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};
use crate::admin::when;
use ra::business::renew::RenewalTerms;

pub(super) const HEADINGS: Headings = Headings {
    title: "延期前后对比",
    new_column: "延期后",
    changed_badge: "延长",
};

/// 在线延期: the subject stays; the old validity against the new one.
pub(super) fn rows(t: &RenewalTerms, d: &ReviewDetail) -> Vec<Compare> {
    let old = &d.app.form.old;
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: old.common_name.clone(),
        new: old.common_name.clone(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: old.organization.clone(),
            new: old.organization.clone(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "有效期",
        old: format!("{} 至 {}", when(t.old_not_before), when(t.old_not_after)),
        new: format!(
            "至 {}{}",
            when(t.new_not_after),
            if t.issued {
                "（已签发）"
            } else {
                "（按今天签发计）"
            }
        ),
        changed: true,
    });
    rows.push(Compare {
        label: "延期年限",
        old: String::new(),
        new: format!("{} 年", t.years),
        changed: false,
    });
    rows.push(Compare {
        label: "联系手机",
        old: String::new(),
        new: d.app.form.fields.contact_mobile.clone(),
        changed: false,
    });
    rows
}
