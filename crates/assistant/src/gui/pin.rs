//! 修改 PIN: the current PIN and the new one.

use eframe::egui;

use super::view::{Action, View};
use super::widgets::secret_field;

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    egui::Grid::new("pin").num_columns(2).show(ui, |ui| {
        let _ = secret_field(ui, "当前 PIN", &mut v.old_pin);
        ui.end_row();
        let _ = secret_field(ui, "新 PIN（6–16 位）", &mut v.new_pin);
        ui.end_row();
    });
    if ui
        .add_enabled(!v.busy, egui::Button::new("修改 PIN"))
        .clicked()
    {
        v.actions.push(Action::ChangePin);
    }
}
