//! The review desk's part of 在线新办: what the holder asks for.

use domain::ProfileKind;
use ra::review::ReviewDetail;

use super::compare::{Compare, Headings};

pub(super) const HEADINGS: Headings = Headings {
    title: "申请信息",
    new_column: "申请",
    changed_badge: "已变更",
};

/// 在线新办: what the holder asks for; there is no old certificate.
pub(super) fn rows(d: &ReviewDetail) -> Vec<Compare> {
    let f = &d.app.form.fields;
    let row = |label, value: &str| Compare::asked(label, value);
    let mut rows = Vec::new();
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(row("单位名称", &f.organization));
        rows.push(row("统一社会信用代码", &f.credit_code));
        rows.push(row("经办人 / 证书名称", &f.common_name));
        rows.push(row(
            "经办人为法定代表人",
            if d.app.form.agent_is_representative {
                "是"
            } else {
                "否（须提供授权委托书）"
            },
        ));
    } else {
        // The reviewer compares the full number with the ID card copy.
        rows.push(row("姓名", &f.common_name));
        rows.push(row("身份证号", &f.id_number));
    }
    rows.push(row("有效期", &format!("{} 年", d.app.form.years)));
    rows.push(row("联系手机", &f.contact_mobile));
    rows.push(row("联系邮箱", &f.contact_email));
    rows
}
