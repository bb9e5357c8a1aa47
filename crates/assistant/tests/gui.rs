//! The window without a display (egui_kittest): the text is laid out with the
//! CJK font (kittest panics on a missing glyph, so tofu boxes fail here), and
//! clicks become the actions the worker carries out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use certhall_assistant::gui::{
    Action, CertLine, Page, TokenLine, View, cjk_font, draw, install_cjk_font,
};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn view(signed_in: bool) -> View {
    View {
        server: "http://127.0.0.1:8080".into(),
        signed_in,
        tokens: vec![TokenLine {
            label: "holder-key".into(),
            warning: Some("PIN 剩余尝试次数不多，请谨慎输入".into()),
            certs: vec![CertLine {
                holder: "CN=张三,O=合肥某某科技有限公司,C=CN".into(),
                serial: "7E8AAB9793E24415498C5C4EE19692A3".into(),
                issuer: "CN=certhall Issuing CA,O=certhall,C=CN".into(),
                validity: "2026-11-30 至 2027-11-30".into(),
                status: "有效；证书变更：审核通过".into(),
            }],
        }],
        hall: vec![
            ("new".into(), "在线新办".into()),
            ("renew".into(), "在线延期".into()),
            ("change".into(), "证书变更".into()),
        ],
        ..View::default()
    }
}

fn harness(v: View) -> Harness<'static, View> {
    let font = cjk_font().expect("a CJK font is installed (fonts-wqy-microhei)");
    Harness::builder()
        .with_size([760.0, 560.0])
        .with_context_setup(move |ctx| install_cjk_font(ctx, font.clone()))
        .build_ui_state(|ui, v: &mut View| draw(ui, v), v)
}

#[test]
fn the_keys_page_shows_the_certificate_in_chinese() {
    let h = harness(view(false));
    h.get_by_label("数字证书助手");
    h.get_by_label("证书介质：holder-key");
    h.get_by_label("CN=张三,O=合肥某某科技有限公司,C=CN");
    h.get_by_label("PIN 剩余尝试次数不多，请谨慎输入");
    h.get_by_label("登录");
}

#[test]
fn hall_then_change_asks_the_worker() {
    let mut h = harness(view(true));
    h.get_by_label("办事大厅").click();
    h.run();
    assert_eq!(h.state().page, Page::Hall);
    assert_eq!(h.state().actions, vec![Action::ShowHall]);
    h.get_by_label("证书变更").click();
    h.run();
    assert_eq!(
        h.state().actions,
        vec![Action::ShowHall, Action::Rekey("change")]
    );
    h.get_by_label("在线延期").click();
    h.run();
    assert_eq!(
        h.state().actions,
        vec![
            Action::ShowHall,
            Action::Rekey("change"),
            Action::Rekey("renew")
        ]
    );
}

#[test]
fn change_before_signing_in_asks_for_the_pin() {
    let mut h = harness(view(false));
    h.get_by_label("办事大厅").click();
    h.run();
    h.get_by_label("证书变更").click();
    h.run();
    assert!(!h.state().actions.contains(&Action::Rekey("change")));
    assert_eq!(h.state().page, Page::Keys);
    assert_eq!(
        h.state().message.as_deref(),
        Some("请先在“我的证书”中输入 PIN 登录")
    );
}
