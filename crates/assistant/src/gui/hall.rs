//! 办事大厅: the businesses the server offers; those carried out by a new key
//! pair in the token (证书变更, 在线延期) are buttons.

use eframe::egui;

use super::view::{Action, Page, View};
use crate::change;

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("办事大厅");
    if v.hall.is_empty() {
        ui.label("正在读取服务器提供的业务……");
    }
    for (key, name) in v.hall.clone() {
        let rekey = change::REKEYED.into_iter().find(|b| *b == key);
        let enabled = !v.busy && rekey.is_some();
        let button = ui.add_enabled(enabled, egui::Button::new(name.as_str()));
        if button.clicked()
            && let Some(business) = rekey
        {
            if v.signed_in {
                v.actions.push(Action::Rekey(business));
            } else {
                v.message = Some("请先在“我的证书”中输入 PIN 登录".into());
                v.page = Page::Keys;
            }
        }
    }
    ui.label("其他业务请在网上服务平台办理后，再回到这里完成证书更新。");
}
