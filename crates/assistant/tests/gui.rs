//! The window without a display (egui_kittest): the text is laid out with the
//! CJK font (kittest panics on a missing glyph, so tofu boxes fail here), and
//! clicks become the actions the worker carries out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use certhall_assistant::gui::{
    Action, CertLine, HallEntry, Page, SealPng, TokenLine, View, cjk_font, draw, egui,
    install_cjk_font,
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
            pin_min: 4,
            certs: vec![CertLine {
                holder: "张三（合肥某某科技有限公司）".into(),
                serial: "7E8AAB9793E24415498C5C4EE19692A3".into(),
                issuer: "CN=certhall Issuing CA,O=certhall,C=CN".into(),
                validity: "2026-11-30 至 2027-11-30".into(),
                status: "有效；证书变更：审核通过".into(),
                unavailable: Vec::new(),
                seal: None,
                encryption: Some("4F2C9A0D1B3E5F6A7B8C9D0E1F2A3B4C".into()),
            }],
            earlier: vec!["5A1B".into(), "6C2D".into()],
        }],
        hall: [
            ("new", "在线新办", "¥300.00"),
            ("renew", "在线延期", "机构 ¥300.00 / 个人 ¥100.00"),
            ("change", "证书变更", "免费"),
            ("reissue", "在线补办", "¥300.00"),
            ("seal", "签章变更", "¥50.00"),
            ("unlock", "找回密码", "免费"),
            ("revoke", "证书注销", "免费"),
        ]
        .map(|(key, name, price)| HallEntry {
            key: key.into(),
            name: name.into(),
            price: price.into(),
        })
        .to_vec(),
        ..View::default()
    }
}

fn harness(v: View) -> Harness<'static, View> {
    let font = cjk_font().expect("a CJK font is installed (fonts-wqy-microhei)");
    Harness::builder()
        .with_size([880.0, 640.0])
        .with_context_setup(move |ctx| install_cjk_font(ctx, font.clone()))
        .build_ui_state(|ui, v: &mut View| draw(ui, v), v)
}

#[test]
fn the_keys_page_shows_the_certificate_in_chinese() {
    let h = harness(view(false));
    h.get_by_label("数字证书助手");
    h.get_by_label("证书介质：holder-key");
    h.get_by_label("张三（合肥某某科技有限公司）");
    // 双证书: the encryption certificate beside the signing one.
    h.get_by_label("加密证书");
    h.get_by_label("序列号 4F2C9A0D1B3E5F6A7B8C9D0E1F2A3B4C（双证书，同一证书介质）");
    // 在线补办 brought the earlier encryption keys back.
    h.get_by_label("原加密密钥（在线补办取回，可解密以往的文件）：序列号 5A1B、6C2D");
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
fn change_before_signing_in_goes_on_after_the_pin() {
    let mut h = harness(view(false));
    h.get_by_label("办事大厅").click();
    h.run();
    assert_eq!(
        h.get_all_by_label("免费").count(),
        3,
        "证书变更, 找回密码, 注销"
    );
    h.get_by_label("机构 ¥300.00 / 个人 ¥100.00");
    h.get_by_label("证书变更").click();
    h.run();
    assert!(!h.state().actions.contains(&Action::Rekey("change")));
    assert_eq!(h.state().page, Page::Keys);
    assert_eq!(
        h.state().message.as_deref(),
        Some("请输入 PIN 登录，登录后将继续办理证书变更")
    );
    // The worker says the login worked: the change goes on by itself.
    h.state_mut().signed_in_now();
    h.run();
    assert_eq!(h.state().page, Page::Hall);
    assert_eq!(
        h.state().actions,
        vec![Action::ShowHall, Action::Rekey("change")]
    );
}

/// An empty PIN, or one shorter than the key takes, never reaches the key
/// (a wrong one there may cost one of its tries).
#[test]
fn an_empty_or_short_pin_is_refused_before_the_key() {
    let mut h = harness(view(false));
    h.get_by_label("登录").click();
    h.run();
    assert_eq!(h.state().message.as_deref(), Some("请输入 PIN"));
    assert!(h.state().actions.is_empty());
    h.state_mut().pin = "12".into();
    h.get_by_label("登录").click();
    h.run();
    assert_eq!(
        h.state().message.as_deref(),
        Some("PIN 至少 4 位，请重新输入")
    );
    assert!(h.state().actions.is_empty());
}

/// The PIN typed and Enter pressed signs in, as the button does.
#[test]
fn enter_in_the_pin_field_signs_in() {
    let mut h = harness(view(false));
    let field = h.get_by_role(egui::accesskit::Role::PasswordInput);
    field.focus();
    field.type_text("123456");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().pin, "123456");
    assert_eq!(h.state().actions, vec![Action::SignIn]);
}

/// A form's link the browser could not be opened on is shown, with a copy
/// button.
#[test]
fn a_link_not_opened_can_be_copied() {
    let mut v = view(true);
    v.message = Some("无法自动打开浏览器，请复制下面的链接，在浏览器中打开".into());
    v.link = Some("http://127.0.0.1:8080/handoff/abc".into());
    let mut h = harness(v);
    h.get_by_label("http://127.0.0.1:8080/handoff/abc");
    h.get_by_label("复制链接").click();
    h.run();
    assert_eq!(
        h.state().message.as_deref(),
        Some("链接已复制，请粘贴到浏览器的地址栏中打开")
    );
}

/// Every business of 办事大厅 has its button: 签章变更 on the key, the pages
/// of 注销, 在线新办 (the 写入码) and 找回密码.
#[test]
fn every_business_has_its_button() {
    let mut h = harness(view(true));
    h.get_by_label("办事大厅").click();
    h.run();
    h.get_by_label("签章变更").click();
    h.run();
    assert_eq!(h.state().actions, vec![Action::ShowHall, Action::Seal]);
    h.get_by_label("证书注销").click();
    h.run();
    assert_eq!(h.state().page, Page::Revoke);
    h.state_mut().page = Page::Hall;
    h.run();
    h.get_by_label("在线新办").click();
    h.run();
    assert_eq!(h.state().page, Page::Pickup);
    h.state_mut().page = Page::Hall;
    h.run();
    h.get_by_label("找回密码").click();
    h.run();
    assert_eq!(h.state().page, Page::Unlock);
}

/// A 写入码 that cannot be one is said before anything is sent; a good one
/// typed before the login is written after it.
#[test]
fn the_write_code_is_checked_then_written_after_the_login() {
    let mut v = view(false);
    v.page = Page::Pickup;
    let mut h = harness(v);
    for typed in ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRS-TVW*"] {
        h.state_mut().code = typed.into();
        h.get_by_label("写入证书").click();
        h.run();
        assert_eq!(
            h.state().message.as_deref(),
            Some("写入码应为 20 位字母和数字（如 ABCD-EFGH-JKMN-PQRS-TVWX）"),
            "{typed}"
        );
        assert!(h.state().actions.is_empty());
    }
    h.state_mut().code = "abcd-efgh-jkmn-pqrs-tvwx".into();
    h.get_by_label("写入证书").click();
    h.run();
    assert_eq!(h.state().page, Page::Keys);
    assert_eq!(
        h.state().message.as_deref(),
        Some("请输入 PIN 登录，登录后将继续办理证书写入")
    );
    h.state_mut().signed_in_now();
    h.run();
    assert_eq!(h.state().page, Page::Pickup);
    assert_eq!(h.state().actions, vec![Action::Pickup]);
}

/// 找回密码: the SMS code asked for; the code and the new PIN twice checked
/// before the platform is asked.
#[test]
fn unlock_checks_the_code_and_the_new_pin_twice() {
    let mut v = view(false);
    v.page = Page::Unlock;
    let mut h = harness(v);
    h.get_by_label("发送短信验证码").click();
    h.run();
    assert_eq!(h.state().actions, vec![Action::UnlockStart]);
    for (sms, new, again, says) in [
        ("", "12345678", "12345678", "请输入短信验证码"),
        ("123456", "123", "123", "新 PIN 应为 6–16 位"),
        ("123456", "12345678", "87654321", "两次输入的新 PIN 不一致"),
    ] {
        let v = h.state_mut();
        v.sms = sms.into();
        v.new_pin = new.into();
        v.new_pin2 = again.into();
        h.get_by_label("重置 PIN").click();
        h.run();
        assert_eq!(h.state().message.as_deref(), Some(says));
        assert_eq!(h.state().actions, vec![Action::UnlockStart]);
    }
    let v = h.state_mut();
    v.new_pin2 = "12345678".into();
    h.get_by_label("重置 PIN").click();
    h.run();
    assert_eq!(
        h.state().actions,
        vec![Action::UnlockStart, Action::UnlockFinish]
    );
}

/// A business the key's certificate may not start now says why, under its
/// button, which does nothing.
#[test]
fn a_business_not_open_now_says_why() {
    let mut v = view(true);
    v.tokens[0].certs[0].unavailable = vec![(
        "renew".into(),
        "证书有效期至 2027-06-30 16:00，在线延期自到期前 90 天（2027-04-01 16:00）起可办理".into(),
    )];
    v.page = Page::Hall;
    let mut h = harness(v);
    h.get_by_label(
        "在线延期：证书有效期至 2027-06-30 16:00，在线延期自到期前 90 天（2027-04-01 16:00）起可办理",
    );
    h.get_by_label("在线延期").click();
    h.run();
    assert!(h.state().actions.is_empty(), "{:?}", h.state().actions);
}

/// 注销: nothing is sent until a reason, the code and the box that says it
/// cannot be undone are all there; the code asked before the login is sent
/// after it.
#[test]
fn revoke_asks_reason_code_and_the_cannot_be_undone_box() {
    let mut v = view(false);
    v.page = Page::Revoke;
    let mut h = harness(v);
    h.get_by_label(
        "注销后证书立即失效（证书吊销列表与在线状态查询同步更新），且不可恢复；注销不退还已缴费用。",
    );
    h.get_by_label("发送短信验证码").click();
    h.run();
    assert_eq!(
        h.state().message.as_deref(),
        Some("请输入 PIN 登录，登录后将继续办理证书注销")
    );
    h.state_mut().signed_in_now();
    h.run();
    assert_eq!(h.state().page, Page::Revoke);
    assert_eq!(h.state().actions, vec![Action::RevokeCode]);
    h.state_mut().actions.clear();
    let refused = |h: &mut Harness<'static, View>, why: &str| {
        h.get_by_label("确认注销").click();
        h.run();
        assert_eq!(h.state().message.as_deref(), Some(why));
        assert!(h.state().actions.is_empty(), "{why}");
    };
    refused(&mut h, "请选择注销原因");
    h.get_by_label("不再使用").click();
    h.run();
    assert_eq!(h.state().revoke_reason, Some("cessationOfOperation"));
    refused(&mut h, "请输入短信验证码");
    h.state_mut().sms = "123456".into();
    refused(&mut h, "请勾选“我已知晓注销后不可恢复”");
    h.get_by_label("我已知晓注销后不可恢复").click();
    h.run();
    h.get_by_label("确认注销").click();
    h.run();
    assert_eq!(h.state().actions, vec![Action::RevokeConfirm]);
}

/// The e-seal written in the key shows under its certificate on 我的证书; a
/// PNG the window cannot read is said in words, not drawn as garbage.
#[test]
fn the_seal_in_the_key_is_shown_under_its_certificate() {
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(8, 8, image::Rgba([0xc8, 0x10, 0x2e, 0xff]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut v = view(true);
    v.tokens[0].certs[0].seal = Some(SealPng::new(png));
    let h = harness(v);
    h.get_by_label("电子印章");
    assert!(h.query_by_label("印章图像无法显示").is_none());

    let mut v = view(true);
    v.tokens[0].certs[0].seal = Some(SealPng::new(b"\x89PNG not really".to_vec()));
    let h = harness(v);
    h.get_by_label("电子印章");
    h.get_by_label("印章图像无法显示");
}
