//! 注销: the reason (those a holder may give), an optional note, the SMS code
//! texted to the certificate's account, and a box ticked that says the
//! revocation cannot be undone: the same as the portal's form, and nothing is
//! sent until all of it is there.

use eframe::egui;

use super::view::{Action, View};
use super::widgets::keyboard_here;
use crate::revoke::REASONS;

const WARNING: egui::Color32 = egui::Color32::from_rgb(0xb0, 0x3a, 0x2e);

pub(super) fn page(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("证书注销");
    ui.add(
        egui::Label::new(
            egui::RichText::new(
                "注销后证书立即失效（证书吊销列表与在线状态查询同步更新），且不可恢复；注销不退还已缴费用。",
            )
            .color(WARNING),
        )
        .wrap(),
    );
    ui.label("注销原因：");
    ui.horizontal_wrapped(|ui| {
        for (key, name) in REASONS {
            if ui.radio(v.revoke_reason == Some(key), name).clicked() {
                v.revoke_reason = Some(key);
            }
        }
    });
    let sms = egui::Grid::new("revoke")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("补充说明（选填）：");
            ui.add(egui::TextEdit::singleline(&mut v.revoke_note).char_limit(200))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("短信验证码：");
            let sms = ui
                .add(egui::TextEdit::singleline(&mut v.sms))
                .labelled_by(label.id);
            ui.end_row();
            sms
        })
        .inner;
    keyboard_here(ui, &sms);
    if ui
        .add_enabled(!v.busy, egui::Button::new("发送短信验证码"))
        .clicked()
    {
        if v.signed_in {
            v.actions.push(Action::RevokeCode);
        } else {
            v.after_sign_in(Action::RevokeCode, "证书注销");
        }
    }
    ui.label("验证码将发送至办理该证书时登记的手机号。");
    ui.checkbox(&mut v.revoke_sure, "我已知晓注销后不可恢复");
    let confirm = egui::Button::new(egui::RichText::new("确认注销").color(WARNING));
    if ui.add_enabled(!v.busy, confirm).clicked() {
        v.submit_revoke();
    }
    ui.separator();
    // A certificate issued at the counter has no account to text: its
    // holder signs in on the portal, where the same form asks the same.
    ui.horizontal_wrapped(|ui| {
        ui.label("证书未关联网上服务账户时：");
        if ui
            .add_enabled(!v.busy, egui::Button::new("在浏览器中办理"))
            .clicked()
        {
            if v.signed_in {
                v.actions.push(Action::RevokeInBrowser);
            } else {
                v.after_sign_in(Action::RevokeInBrowser, "证书注销");
            }
        }
    });
}
