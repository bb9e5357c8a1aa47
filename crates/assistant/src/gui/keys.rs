//! 我的证书: the inserted keys, their certificates, and the PIN to sign in.

use eframe::egui;

use super::view::View;
use super::widgets::{cert_card, keyboard_here, secret_field};

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    if v.tokens.is_empty() {
        ui.label("未检测到证书介质，请插入 USB Key");
        return;
    }
    for t in &v.tokens {
        ui.strong(format!("证书介质：{}", t.label));
        if let Some(w) = &t.warning {
            ui.colored_label(egui::Color32::from_rgb(0xb0, 0x3a, 0x2e), w.as_str());
        }
        for c in &t.certs {
            cert_card(ui, c);
            ui.add_space(8.0);
        }
        if !t.earlier.is_empty() {
            ui.label(format!(
                "原加密密钥（在线补办取回，可解密以往的文件）：序列号 {}",
                t.earlier.join("、")
            ));
        }
    }
    if !v.signed_in {
        ui.horizontal(|ui| {
            let field = secret_field(ui, "PIN：", &mut v.pin);
            // (Enter read before the field takes the keyboard back.)
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            keyboard_here(ui, &field);
            let clicked = ui.add_enabled(!v.busy, egui::Button::new("登录")).clicked();
            if (clicked || enter) && !v.busy {
                v.submit_pin();
            }
        });
    }
}
