//! The frame around the pages: the title, the tabs, the last message and the
//! busy line.

use eframe::egui;

use super::view::{Action, Page, View};
use super::{hall, keys, pickup, pin, revoke, unlock};

/// Paints the window and records clicks in `view.actions`.
pub fn draw(ui: &mut egui::Ui, v: &mut View) {
    ui.horizontal(|ui| {
        ui.heading("数字证书助手");
        ui.label(format!("服务器：{}", v.server));
    });
    ui.horizontal(|ui| {
        for (page, name) in [
            (Page::Keys, "我的证书"),
            (Page::Hall, "办事大厅"),
            (Page::Pin, "修改 PIN"),
        ] {
            if ui.selectable_label(v.page == page, name).clicked() {
                v.page = page;
                if page == Page::Hall {
                    v.actions.push(Action::ShowHall);
                }
            }
        }
    });
    ui.separator();
    if let Some(m) = &v.message {
        ui.add(egui::Label::new(m.as_str()).wrap());
        if let Some(link) = v.link.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.add(egui::Label::new(link.as_str()).wrap());
                if ui.button("复制链接").clicked() {
                    ui.ctx().copy_text(link);
                    v.message = Some("链接已复制，请粘贴到浏览器的地址栏中打开".into());
                }
            });
        }
        ui.separator();
    }
    match v.page {
        Page::Keys => keys::page(ui, v),
        Page::Hall => hall::page(ui, v),
        Page::Pin => pin::page(ui, v),
        Page::Pickup => pickup::page(ui, v),
        Page::Unlock => unlock::page(ui, v),
        Page::Revoke => revoke::page(ui, v),
    }
    if v.busy {
        ui.label("正在处理，请勿拔出证书介质……");
    }
}
