//! 办事大厅: the businesses the server offers, each with its price and what
//! its button does here: 证书变更 and 在线延期 renew the key's certificate,
//! 在线新办 and 在线补办 take the 写入码, 签章变更 writes the approved seal,
//! 注销 asks the reason and the SMS code, 找回密码 resets the PIN. One chosen before the PIN
//! login goes on by itself after it.

use eframe::egui;

use super::view::{Action, HallEntry, Page, View};
use crate::change;

/// What a business's button does in the window.
enum Does {
    /// An action on the key signed in.
    Act(Action),
    /// A page of its own (写入码, 注销, 找回密码).
    Open(Page),
}

fn does(key: &str) -> Option<Does> {
    if let Some(b) = change::REKEYED.into_iter().find(|b| *b == key) {
        return Some(Does::Act(Action::Rekey(b)));
    }
    match key {
        "new" | "reissue" => Some(Does::Open(Page::Pickup)),
        "seal" => Some(Does::Act(Action::Seal)),
        "revoke" => Some(Does::Open(Page::Revoke)),
        "unlock" => Some(Does::Open(Page::Unlock)),
        _ => None,
    }
}

/// One business: its button, its price, and why it is not open now.
fn cell(ui: &mut egui::Ui, entry: &HallEntry, enabled: bool, why: Option<String>) -> bool {
    let button = egui::Button::new(entry.name.as_str()).min_size(egui::vec2(150.0, 30.0));
    let clicked = ui.add_enabled(enabled, button).clicked();
    ui.label(egui::RichText::new(entry.price.as_str()).small());
    if let Some(why) = why {
        let text = egui::RichText::new(format!("{}：{why}", entry.name))
            .small()
            .color(egui::Color32::from_rgb(0xb0, 0x3a, 0x2e));
        ui.add(egui::Label::new(text).wrap());
    }
    clicked
}

/// Why the inserted key's certificate may not start `key` now, once the
/// server has said (after the PIN login).
fn not_now(v: &View, key: &str) -> Option<String> {
    v.tokens
        .first()
        .and_then(|t| t.certs.first())
        .and_then(|c| c.unavailable.iter().find(|(k, _)| k == key))
        .map(|(_, why)| why.clone())
}

/// A business's button pressed.
fn press(v: &mut View, does: Option<Does>, name: &str) {
    match does {
        Some(Does::Act(a)) if v.signed_in => v.actions.push(a),
        Some(Does::Act(a)) => v.after_sign_in(a, name),
        Some(Does::Open(p)) => {
            v.page = p;
            v.message = None;
        }
        None => {}
    }
}

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("办事大厅");
    if v.hall.is_empty() {
        ui.label("正在读取服务器提供的业务……");
    }
    // Two businesses a row, each a large button with its price beneath, so
    // all seven fit a small window (or a large zoom) without scrolling.
    egui::Grid::new("hall")
        .num_columns(2)
        .spacing([24.0, 10.0])
        .show(ui, |ui| {
            for (i, entry) in v.hall.clone().into_iter().enumerate() {
                let does = does(&entry.key);
                let why = not_now(v, &entry.key);
                let enabled = !v.busy && does.is_some() && why.is_none();
                let clicked = ui.vertical(|ui| cell(ui, &entry, enabled, why)).inner;
                if i % 2 == 1 {
                    ui.end_row();
                }
                if clicked {
                    press(v, does, &entry.name);
                }
            }
        });
    ui.label("需要提交资料的业务会在浏览器中打开表单，办理完成后回到这里写入证书介质。");
}
