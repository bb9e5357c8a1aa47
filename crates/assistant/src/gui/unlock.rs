//! 找回密码: an SMS code to the mobile reserved for the key, then the new PIN
//! twice; when the platform reviews resets, it says the request waits.

use eframe::egui;

use super::view::{Action, View};
use super::widgets::{keyboard_here, secret_field};

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("找回密码");
    ui.label("忘记 PIN 或 PIN 已锁定时，可凭预留手机号收到的短信验证码设置新 PIN。");
    if ui
        .add_enabled(!v.busy, egui::Button::new("发送短信验证码"))
        .clicked()
    {
        v.actions.push(Action::UnlockStart);
    }
    // The code, then the new PIN twice (Tab between them); Enter in the
    // last field resets, as 重置 PIN does.
    let again = egui::Grid::new("unlock")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("短信验证码：");
            let sms = ui
                .add(egui::TextEdit::singleline(&mut v.sms))
                .labelled_by(label.id);
            keyboard_here(ui, &sms);
            ui.end_row();
            let _ = secret_field(ui, "新 PIN（6–16 位）：", &mut v.new_pin);
            ui.end_row();
            let again = secret_field(ui, "再次输入新 PIN：", &mut v.new_pin2);
            ui.end_row();
            again
        })
        .inner;
    let enter = again.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let clicked = ui
        .add_enabled(!v.busy, egui::Button::new("重置 PIN"))
        .clicked();
    if (clicked || enter) && !v.busy {
        v.submit_unlock();
    }
}
