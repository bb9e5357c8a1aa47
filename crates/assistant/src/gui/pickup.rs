//! 在线新办 / 在线补办: the 写入码 shown in 个人中心 (or, for a key the CA
//! mails, given by its operator); the key pair is made in the key and the
//! certificate written.

use eframe::egui;

use super::view::View;
use super::widgets::keyboard_here;

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("在线新办 / 在线补办：写入证书");
    ui.label("请输入个人中心中显示的写入码（20 位字母和数字），证书将写入当前插入的证书介质。");
    let label = ui.label("写入码：");
    let field = ui
        .add(egui::TextEdit::singleline(&mut v.code).hint_text("ABCD-EFGH-JKMN-PQRS-TVWX"))
        .labelled_by(label.id);
    // (Enter read before the field takes the keyboard back.)
    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    keyboard_here(ui, &field);
    let clicked = ui
        .add_enabled(!v.busy, egui::Button::new("写入证书"))
        .clicked();
    if (clicked || enter) && !v.busy {
        v.submit_code();
    }
}
