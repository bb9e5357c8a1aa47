//! 签章变更 end to end, on both databases: started from the assistant on a
//! SoftHSM2 key, the seal image checked by content (PNG only, transparent,
//! at most 256 KB, a placeable size; each refusal with its message and
//! nothing stored), the 《电子印章采样表》, 支付宝, the review desk comparing the
//! old and new seal, the assistant writing the approved seal into the key as
//! a data object bound to the certificate (read back with `pkcs11-tool`, byte
//! for byte), and 个人中心 showing the current seal to its holder only.

use std::path::Path;

use common::TestApp;
use common::assistant::{out, run};
use common::browser::{Browser, Page};
use common::flow::{open_link, pay_with_alipay};
use common::holder;
use testkit::openssl::KeyKind;
use testkit::softhsm::Token as Usb;
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

/// An image made with ImageMagick: `convert ARGS… FORMAT:dir/name`.
fn image(dir: &Path, name: &str, format: &str, args: &[&str]) -> Vec<u8> {
    let file = dir.join(name);
    let status = std::process::Command::new("convert")
        .args(args)
        .arg(format!("{format}:{}", file.display()))
        .status()
        .expect("ImageMagick's convert runs (scripts/test installs imagemagick)");
    assert!(status.success(), "convert {args:?}");
    std::fs::read(file).unwrap()
}

/// The assistant's 签章变更: with no application, the form's link followed and
/// signed in; returns the browser and the form.
async fn seal_form(usb: &Usb, app: &TestApp) -> (Browser, Page) {
    open_link(app, &seal_link(usb, app).await, MOBILE).await
}

/// The link the assistant's 签章变更 prints when no application is open.
async fn seal_link(usb: &Usb, app: &TestApp) -> String {
    let o = run(usb, app, &["seal", "--no-browser"], None).await;
    assert!(o.status.success(), "{}", out(&o));
    common::assistant::printed_link(&o)
}

/// The material upload's result page for `kind`.
async fn upload(
    b: &Browser,
    page: &Page,
    id: &str,
    kind: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Page {
    b.upload(page, &format!("/apply/{id}/materials/{kind}"), name, bytes)
        .await
}

async fn seal_change(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let dir = app.path("images");
    std::fs::create_dir_all(&dir).unwrap();
    let seal = image(
        &dir,
        "seal.png",
        "PNG32",
        &[
            "-size",
            "300x300",
            "xc:none",
            "-fill",
            "none",
            "-stroke",
            "#c0392b",
            "-strokewidth",
            "12",
            "-draw",
            "circle 150,150 150,20",
        ],
    );
    let opaque = image(
        &dir,
        "opaque.png",
        "PNG24",
        &["-size", "300x300", "xc:white"],
    );
    let noisy = image(
        &dir,
        "big.png",
        "PNG32",
        &[
            "-size", "700x700", "xc:gray", "+noise", "Random", "-alpha", "set",
        ],
    );
    let tiny = image(&dir, "tiny.png", "PNG32", &["-size", "60x60", "xc:none"]);
    assert!(noisy.len() > domain::seal::MAX_BYTES, "{}", noisy.len());

    let h = holder::enterprise(&app, "seal", KeyKind::P256).await;
    let usb = Usb::new("holder-key");
    usb.import(&h.key, &h.cert);
    let (b, form) = seal_form(&usb, &app).await;
    assert!(form.path().ends_with("/form"), "{}", form.html);
    assert_eq!(form.text("h1"), "签章变更");
    assert_eq!(
        form.text("#current-seal .muted"),
        "该证书尚未在平台登记电子印章。"
    );
    let id = form.path().split('/').nth(2).unwrap().to_string();
    let materials = b
        .post(
            &form,
            &format!("/apply/{id}/form"),
            &[("contact_mobile", MOBILE)],
        )
        .await;
    assert!(
        materials
            .text("#material-seal_image .hint")
            .contains("《电子印章采样表》"),
        "{}",
        materials.text("#material-seal_image")
    );

    // Refused seal images: the message, and nothing stored.
    for (name, bytes, message) in [
        ("seal.jpg", holder::jpeg(), "电子印章图片须为 PNG 格式"),
        ("seal.pdf", holder::pdf(), "电子印章图片须为 PNG 格式"),
        (
            "opaque.png",
            opaque,
            "电子印章图片须为透明背景（带透明通道的 PNG）",
        ),
        ("big.png", noisy, "电子印章图片不能超过 256 KB"),
        (
            "tiny.png",
            tiny,
            "电子印章图片尺寸应在 120×120 至 1024×1024 像素之间（当前 60×60）",
        ),
    ] {
        let before = app.business_snapshot().await;
        let r = upload(&b, &materials, &id, "seal_image", name, bytes).await;
        assert_eq!(r.status, 422, "{name}: {}", r.html);
        assert_eq!(r.text("#error-seal_image"), message, "{name}");
        assert_eq!(app.business_snapshot().await, before, "{name}");
    }
    let page = upload(
        &b,
        &materials,
        &id,
        "seal_image",
        "新印章.png",
        seal.clone(),
    )
    .await;
    assert_eq!(
        page.text("#seal-preview figcaption"),
        "盖章效果预览：印章将以此大小盖在签署的文件上。",
        "the preview"
    );
    let page = upload(
        &b,
        &page,
        &id,
        "seal_sample_form",
        "采样表.pdf",
        holder::pdf(),
    )
    .await;
    let order = b.post(&page, &format!("/apply/{id}/submit"), &[]).await;
    assert!(order.path().starts_with("/pay/"), "{}", order.html);
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    pay_with_alipay(&app, &b, &order_id, holder::ORG, "¥50.00").await;

    // Until approved the assistant only says where it stands.
    let pending = run(&usb, &app, &["seal"], None).await;
    assert!(
        out(&pending).contains("签章变更申请状态：待审核"),
        "{}",
        out(&pending)
    );
    let reviewer = common::staff::staff(&app, "seal.reviewer", "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{id}"))
        .await;
    desk.assert_reads("h2", "签章变更前后对比");
    assert_eq!(desk.text("#seal-compare h2"), "印章对比");
    assert_eq!(desk.text("#seal-compare .muted"), "未登记");
    common::staff::approve_by(&app, &reviewer, &id).await;

    // The assistant writes the approved seal into the key, bound to the
    // certificate (CKA_ID 01).
    let done = run(&usb, &app, &["seal"], None).await;
    assert!(done.status.success(), "{}", out(&done));
    assert!(out(&done).contains("签章变更已完成"), "{}", out(&done));
    let objects = usb.objects();
    assert!(
        objects.contains("certhall-seal 01") && objects.contains("application:    'certhall-seal'"),
        "{objects}"
    );
    assert_eq!(
        the_seal_in(&app, &usb),
        ("certhall-seal 01".to_string(), seal.clone()),
        "the approved seal, byte for byte"
    );
    assert_eq!(
        app.text(&format!("SELECT state FROM applications WHERE id = '{id}'"))
            .await,
        "COMPLETED"
    );

    // 个人中心 shows the current seal; its bytes are the holder's only.
    let me = b.get("/me").await;
    let src = me.attr(&format!("#cert-{} img#seal-{}", h.serial, h.serial), "src");
    let mine = b
        .client
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.bytes().await.unwrap().to_vec(), seal);
    let other = Browser::new(&app.base);
    other
        .sign_in(&app.settings.data_dir, "13912345678", "/me")
        .await;
    let theirs = other
        .client
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);

    // The next 签章变更 (the holder still signed in) shows this seal as the
    // current one.
    let again = b.get(&seal_link(&usb, &app).await).await;
    assert_eq!(again.attr("#current-seal img.seal", "src"), src);

    // 证书变更 re-keys: the seal follows the key in the token (the object
    // under the new certificate's id, none left under the old) and in
    // 个人中心 (shown for the new certificate).
    let change_id = rekeyed_by_change(&app, &b, &usb, &reviewer).await;
    let (label, carried) = the_seal_in(&app, &usb);
    assert_ne!(label, "certhall-seal 01");
    assert_eq!(carried, seal, "the seal, carried");
    let me = b.get("/me").await;
    let new_serial = app
        .text(&format!(
            "SELECT serial FROM certificates WHERE request_id = 'application:{change_id}'"
        ))
        .await;
    assert_eq!(
        me.attr(&format!("#cert-{new_serial} img#seal-{new_serial}"), "src"),
        src,
        "个人中心 shows the seal for the new certificate: {}",
        me.html
    );

    // The key is lost: 在线补办 of the new certificate puts the same seal,
    // byte for byte, into the blank key that receives its replacement.
    let blank = reissued_on_a_new_key(&app, &b, &new_serial, &reviewer).await;
    assert_eq!(
        the_seal_in(&app, &blank).1,
        seal,
        "the seal, on the new key"
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// The one seal object in `usb` (read with `pkcs11-tool`): its label and
/// bytes.
fn the_seal_in(app: &TestApp, usb: &Usb) -> (String, Vec<u8>) {
    let objects = usb.objects();
    let labels: Vec<&str> = objects
        .lines()
        .filter_map(|l| l.trim().strip_prefix("label:"))
        .map(|l| l.trim().trim_matches('\''))
        .filter(|l| l.starts_with("certhall-seal "))
        .collect();
    assert_eq!(labels.len(), 1, "{objects}");
    let read = app.path("seal-object.png");
    usb.p11(&[
        "--read-object",
        "--type",
        "data",
        "--label",
        labels[0],
        "--output-file",
        read.to_str().unwrap(),
    ]);
    (labels[0].to_string(), std::fs::read(&read).unwrap())
}

/// 在线补办 of `serial` from 我的证书 (own key, 经办人 the 法定代表人), paid,
/// approved, and written with the 写入码 into a blank key, which is returned.
async fn reissued_on_a_new_key(
    app: &TestApp,
    b: &Browser,
    serial: &str,
    reviewer: &common::staff::Staff,
) -> Usb {
    let me = b.get("/me").await;
    let form = b
        .post(&me, &format!("/me/certificates/{serial}/reissue"), &[])
        .await;
    assert!(form.path().ends_with("/form"), "{}", form.html);
    let id = form.path().split('/').nth(2).unwrap().to_string();
    let mut page = b
        .post(
            &form,
            &format!("/apply/{id}/form"),
            &[
                ("revoke_reason", "keyCompromise"),
                ("medium", "own"),
                ("agent_is_representative", "on"),
                ("contact_mobile", MOBILE),
            ],
        )
        .await;
    assert!(page.path().ends_with("/materials"), "{}", page.html);
    for kind in ["business_license", "agent_id"] {
        page = upload(b, &page, &id, kind, "f.pdf", holder::pdf()).await;
    }
    common::flow::submit_and_pay(app, b, &id, &page, holder::ORG, "¥100.00").await;
    common::staff::approve_by(app, reviewer, &id).await;
    let blank = Usb::new("replacement-key");
    let code = common::flow::holder_code(b, &id).await;
    let done = run(&blank, app, &["pickup", "--code", &code], None).await;
    assert!(done.status.success(), "{}", out(&done));
    blank
}

/// 证书变更 of the token's certificate from the assistant: hand-off, form,
/// materials, approval, the new key written. Returns the application's id.
async fn rekeyed_by_change(
    app: &TestApp,
    b: &Browser,
    usb: &Usb,
    reviewer: &common::staff::Staff,
) -> String {
    let o = run(usb, app, &["change", "--no-browser"], None).await;
    assert!(o.status.success(), "{}", out(&o));
    // The holder is still signed in: the link opens the form.
    let form = b.get(&common::assistant::printed_link(&o)).await;
    let (id, page) = common::flow::change_form_and_materials(b, &form, MOBILE).await;
    let done = b.post(&page, &format!("/apply/{id}/submit"), &[]).await;
    assert_eq!(done.text("#result"), "申请成功，等待审核");
    common::staff::approve_by(app, reviewer, &id).await;
    let o = run(usb, app, &["change"], None).await;
    assert!(out(&o).contains("已完成"), "{}", out(&o));
    id
}

on_both_databases!(seal_change);
