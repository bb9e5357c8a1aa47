//! What the pages share: a certificate's table, and a PIN field named by its
//! label.

use eframe::egui;

use super::view::CertLine;

/// The certificate as a card: who holds it, large, over its fields (one row
/// each) and the seal written for it.
pub(super) fn cert_card(ui: &mut egui::Ui, c: &CertLine) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(egui::RichText::new(c.holder.as_str()).heading());
            cert_table(ui, c);
        });
}

/// The certificate's fields, one row each.
fn cert_table(ui: &mut egui::Ui, c: &CertLine) {
    egui::Grid::new(("cert", c.serial.as_str()))
        .num_columns(2)
        .show(ui, |ui| {
            for (k, val) in [
                ("序列号", &c.serial),
                ("颁发者", &c.issuer),
                ("有效期", &c.validity),
                ("状态", &c.status),
            ] {
                ui.label(k);
                // Long lines (the status) wrap at the window's edge.
                ui.add(egui::Label::new(val.as_str()).wrap());
                ui.end_row();
            }
            if let Some(serial) = &c.encryption {
                ui.label("加密证书");
                ui.label(format!("序列号 {serial}（双证书，同一证书介质）"));
                ui.end_row();
            }
            if let Some(png) = &c.seal {
                ui.label("电子印章");
                super::seal_image::seal_image(ui, png);
                ui.end_row();
            }
        });
}

/// A label and a password field it names (for screen readers and tests).
pub(super) fn secret_field(ui: &mut egui::Ui, label: &str, value: &mut String) -> egui::Response {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(true))
        .labelled_by(label.id)
}

/// The page's first field takes the keyboard when no widget has it, so the
/// holder types the PIN or code straight away (and again after Enter or a
/// click elsewhere); Tab still moves on. Call it after reading the field's
/// `lost_focus` (egui answers that from the focus as it is when asked).
pub(super) fn keyboard_here(ui: &egui::Ui, field: &egui::Response) {
    if ui.memory(|m| m.focused().is_none()) {
        field.request_focus();
    }
}
