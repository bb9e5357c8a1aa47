//! The review desk's part of 证书变更: old and new subject side by side.

use domain::{IdNumber, ProfileKind};
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};

pub(super) const HEADINGS: Headings = Headings {
    title: "变更前后对比",
    new_column: "申请变更为",
    changed_badge: "已变更",
};

fn masked_id(number: &str) -> String {
    IdNumber::parse(number)
        .map(|n| n.masked())
        .unwrap_or_else(|_| number.to_string())
}

/// 证书变更: the subject as it is against what the holder asks for.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let old = &d.app.form.old;
    let new = &d.app.form.fields;
    let row = |label, o: &str, n: &str| Compare {
        label,
        old: o.to_string(),
        new: n.to_string(),
        changed: o != n,
    };
    let mut rows = vec![row("姓名 / 证书名称", &old.common_name, &new.common_name)];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(row("单位名称", &old.organization, &new.organization));
        rows.push(row("统一社会信用代码", &old.credit_code, &new.credit_code));
    } else {
        // The reviewer compares the full number with the ID card copy; the old
        // one is only known masked.
        let new_masked = masked_id(&new.id_number);
        rows.push(Compare {
            label: "身份证号",
            old: old.id_number_masked.clone(),
            new: new.id_number.clone(),
            changed: old.id_number_masked != new_masked,
        });
    }
    // Contact details and the reason are not in the certificate: nothing to compare.
    for (label, value) in [
        ("联系手机", &new.contact_mobile),
        ("联系邮箱", &new.contact_email),
        ("变更原因", &new.reason),
    ] {
        rows.push(Compare {
            label,
            old: String::new(),
            new: value.clone(),
            changed: false,
        });
    }
    rows
}
