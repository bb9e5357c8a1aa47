//! 在线新办 and 在线补办 end to end, on both databases, with the assistant and
//! SoftHSM2 tokens as the keys:
//!
//! - a new 机构证书 on the holder's own key: subject, term (price per year),
//!   materials (授权委托书 required when the 经办人 is not the 法定代表人),
//!   支付宝, review, a one-time 写入码 from 个人中心, `certhall-assistant pickup`
//!   writes the certificate (checked with `openssl`: subject, chain, end date);
//! - then that key is "lost": 在线补办 from 我的证书 revokes the old certificate
//!   on approval (OCSP says keyCompromise) and puts the same subject and end
//!   date on a new key;
//! - a new 个人证书 by post: the operator makes the 写入码, writes the key,
//!   records the tracking number; the holder sees it and confirms receipt.
//!
//! Every refusal (bad form fields, a wrong or used 写入码, shipping before the
//! key is written, someone else's certificate) shows its message and changes
//! nothing.

use common::TestApp;
use common::assistant::{out, run, run_with, token_certificate};
use common::browser::{Browser, Page};
use common::flow::{holder_code, submit_and_pay};
use common::holder;
use domain::calendar::{add_years, civil};
use testkit::openssl;
use testkit::softhsm::{MODULE, Token as Usb};
use testkit::{Backend, on_both_databases};

const ORG: &str = "合肥新办科技有限公司";
const CREDIT_CODE: &str = holder::CODE;

fn iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms.div_euclid(1000));
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn state_of(app: &TestApp, id: &str) -> String {
    app.text(&format!("SELECT state FROM applications WHERE id = '{id}'"))
        .await
}

/// Signs in and opens a new application of `cert_type` from the 在线新办 page;
/// returns the browser, the application id and its form.
async fn start_new(app: &TestApp, mobile: &str, cert_type: &str) -> (Browser, String, Page) {
    let b = Browser::new(&app.base);
    let page = b
        .sign_in(&app.settings.data_dir, mobile, "/selfservice/new")
        .await;
    assert_eq!(page.text("#new-enterprise"), "办理机构证书");
    assert_eq!(page.text("#new-individual"), "办理个人证书");
    let form = b
        .post(&page, "/apply/new", &[("cert_type", cert_type)])
        .await;
    assert!(form.path().ends_with("/form"), "{}", form.url);
    let id = form.path().split('/').nth(2).unwrap().to_string();
    (b, id, form)
}

/// A new 机构证书 on the holder's own key; returns the browser, the
/// certificate's serial and the token.
async fn new_on_own_key(app: &TestApp, mobile: &str) -> (Browser, String, Usb) {
    let (b, id, form) = start_new(app, mobile, "enterprise").await;
    for price in ["¥300.00", "¥600.00", "¥900.00"] {
        form.assert_reads(".price", price);
    }
    for medium in ["自有证书介质", "邮寄"] {
        form.assert_reads(".term strong", medium);
    }
    // Wrong fields: every message, nothing saved.
    let before = app.business_snapshot().await;
    let action = format!("/apply/{id}/form");
    let bad = b
        .post(
            &form,
            &action,
            &[
                ("organization", ORG),
                ("credit_code", "91110108551385082A"),
                ("common_name", "李四"),
                ("years", "5"),
                ("medium", "mail"),
                ("ship_name", "李四"),
                ("ship_phone", "12345"),
                ("ship_address", ""),
                ("contact_mobile", mobile),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    for (field, message) in [
        ("credit_code", "校验位不正确"),
        ("years", "请选择 1 至 3 年"),
        ("ship_phone", "请输入 11 位中国大陆手机号"),
        ("ship_address", "此项为必填项"),
    ] {
        assert_eq!(bad.field_error(field), message, "{field}");
    }
    let no_medium = b
        .post(
            &form,
            &action,
            &[
                ("organization", ORG),
                ("credit_code", CREDIT_CODE),
                ("common_name", "李四"),
                ("years", "2"),
                ("contact_mobile", mobile),
            ],
        )
        .await;
    assert_eq!(no_medium.status, 400);
    assert_eq!(no_medium.field_error("medium"), "请选择证书介质的领取方式");
    assert_eq!(app.business_snapshot().await, before);

    // Two years on their own key; the 经办人 is not the 法定代表人.
    let mut page = b
        .post(
            &form,
            &action,
            &[
                ("organization", ORG),
                ("credit_code", CREDIT_CODE),
                ("common_name", "李四"),
                ("years", "2"),
                ("medium", "own"),
                ("contact_mobile", mobile),
            ],
        )
        .await;
    assert!(page.path().ends_with("/materials"), "{}", page.html);
    for kind in ["business_license", "agent_id"] {
        page = b
            .upload(
                &page,
                &format!("/apply/{id}/materials/{kind}"),
                "f.pdf",
                holder::pdf(),
            )
            .await;
    }
    let before = app.business_snapshot().await;
    let missing = b.post(&page, &format!("/apply/{id}/submit"), &[]).await;
    assert_eq!(missing.status, 400, "{}", missing.html);
    assert!(
        missing
            .text("#submit-error")
            .starts_with("请上传：授权委托书"),
        "{}",
        missing.text("#submit-error")
    );
    assert_eq!(app.business_snapshot().await, before);
    page = b
        .upload(
            &page,
            &format!("/apply/{id}/materials/authorization"),
            "授权委托书.pdf",
            holder::pdf(),
        )
        .await;
    submit_and_pay(app, &b, &id, &page, ORG, "¥600.00").await;

    // The desk shows what is asked for.
    let reviewer = common::staff::staff(app, &format!("r{mobile}"), "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{id}"))
        .await;
    desk.assert_reads("h2", "申请信息");
    for asked in [ORG, CREDIT_CODE, "否（须提供授权委托书）", "2 年"] {
        desk.assert_reads("#compare td", asked);
    }
    desk.assert_reads("#medium dd", "申请人自有证书介质（由申请人用证书助手写入）");
    common::staff::approve_by(app, &reviewer, &id).await;

    // A wrong code is refused by the server, and nothing is issued.
    let usb = Usb::new("own-key");
    let before = app.business_snapshot().await;
    let wrong = run(
        &usb,
        app,
        &["pickup", "--code", "ABCD-EFGH-JKMN-PQRS-TVWX"],
        None,
    )
    .await;
    assert!(!wrong.status.success());
    assert!(
        out(&wrong).contains("写入码不正确或已失效"),
        "{}",
        out(&wrong)
    );
    assert_eq!(app.business_snapshot().await, before);

    // The code from 个人中心 writes the certificate.
    let code = holder_code(&b, &id).await;
    let t0 = now_ms();
    let done = run(&usb, app, &["pickup", "--code", &code], None).await;
    let t1 = now_ms();
    assert!(done.status.success(), "{}", out(&done));
    assert!(out(&done).contains("业务已办理完成"), "{}", out(&done));
    assert_eq!(state_of(app, &id).await, "COMPLETED");
    let pem = token_certificate(app, &usb, "none");
    let subject = openssl::subject_utf8(&pem);
    for part in [ORG, "李四"] {
        assert!(subject.contains(part), "{part}: {subject}");
    }
    // The credit code travels in the GM/T 0015 organisation-code extension.
    let text = openssl::ok(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-text"]);
    assert!(text.contains(CREDIT_CODE), "{text}");
    let chain = app.chain_file().await;
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);
    // Two years from the day it was written.
    let end = openssl::not_after_iso(&pem);
    assert!(
        iso(add_years(t0 - 1000, 2)) <= end && end <= iso(add_years(t1 + 1000, 2)),
        "{end}"
    );
    // The code is used up.
    let again = run(&usb, app, &["pickup", "--code", &code], None).await;
    assert!(!again.status.success());
    assert!(
        out(&again).contains("写入码不正确或已失效"),
        "{}",
        out(&again)
    );
    let serial = openssl::serial_of(&pem);
    // 我的证书 (also linked from 证书查询) offers what it can take now, and says
    // why 在线延期 is not open yet.
    let me = b.get("/me").await;
    assert!(me.shows(&format!("#cert-{serial}")), "{}", me.html);
    for business in ["change", "seal-change", "reissue", "revoke"] {
        assert!(
            me.shows(&format!("#cert-{serial} button#{business}-{serial}")),
            "{business}: {}",
            me.text(&format!("#cert-{serial}"))
        );
    }
    assert!(!me.has(&format!("id=\"renew-{serial}\"")), "{}", me.html);
    let renewal = me.texts(&format!("#cert-{serial} td"))[4].clone();
    assert!(renewal.ends_with("起可办理"), "{renewal}");
    let query = b.get("/query").await;
    assert!(query.shows("#my-certificates-link"), "{}", query.html);
    (b, serial, usb)
}

/// 在线新办 on the holder's own key, then 在线补办 of that certificate when the
/// key is lost.
async fn new_then_reissue(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let mobile = "13812345678";
    let (b, serial, lost) = new_on_own_key(&app, mobile).await;
    let old_pem = token_certificate(&app, &lost, "none");

    // Someone else cannot reissue it.
    let other = Browser::new(&app.base);
    let their_me = other
        .sign_in(&app.settings.data_dir, "13912345678", "/me")
        .await;
    let before = app.business_snapshot().await;
    let refused = other
        .post(
            &their_me,
            &format!("/me/certificates/{serial}/reissue"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.html);
    assert_eq!(app.business_snapshot().await, before);

    // The holder starts it from 我的证书.
    let me = b.get("/me").await;
    let form = b
        .post(&me, &format!("/me/certificates/{serial}/reissue"), &[])
        .await;
    assert!(form.path().ends_with("/form"), "{}", form.html);
    assert!(
        form.visible().contains("¥100.00") || form.text("h1").contains("在线补办"),
        "{}",
        form.visible()
    );
    let id = form.path().split('/').nth(2).unwrap().to_string();
    let action = format!("/apply/{id}/form");
    let before = app.business_snapshot().await;
    let bad = b
        .post(
            &form,
            &action,
            &[("medium", "own"), ("contact_mobile", mobile)],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("revoke_reason"), "请选择原证书介质的情况");
    assert_eq!(app.business_snapshot().await, before);
    let mut page = b
        .post(
            &form,
            &action,
            &[
                ("revoke_reason", "keyCompromise"),
                ("medium", "own"),
                ("agent_is_representative", "on"),
                ("contact_mobile", mobile),
            ],
        )
        .await;
    assert!(page.path().ends_with("/materials"), "{}", page.html);
    for kind in ["business_license", "agent_id"] {
        page = b
            .upload(
                &page,
                &format!("/apply/{id}/materials/{kind}"),
                "f.pdf",
                holder::pdf(),
            )
            .await;
    }
    // The 经办人 is the 法定代表人: no 授权委托书 needed.
    submit_and_pay(&app, &b, &id, &page, ORG, "¥100.00").await;

    let (chain, issuing) = (app.chain_file().await, app.issuing_file().await);
    let url = format!("{}/pki/ocsp", app.base);
    let ocsp = |serial: &str| openssl::ocsp_by_serial(&issuing, &chain, &url, serial);
    assert!(ocsp(&serial).contains(": good"));
    let reviewer = common::staff::staff(&app, "reissue.reviewer", "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{id}"))
        .await;
    desk.assert_reads("h2", "补办前后对比");
    let compared = desk.texts("#compare td");
    assert!(
        compared.iter().any(|c| c.contains("密钥泄露"))
            && compared.iter().any(|c| c.ends_with("（不变）")),
        "{compared:?}"
    );
    common::staff::approve_by(&app, &reviewer, &id).await;
    // Revoked at approval, with the holder's reason.
    let answer = ocsp(&serial);
    assert!(
        answer.contains(": revoked") && answer.contains("keyCompromise"),
        "{answer}"
    );

    // The new key gets the same subject and end date.
    let usb = Usb::new("new-key");
    let code = holder_code(&b, &id).await;
    let done = run(&usb, &app, &["pickup", "--code", &code], None).await;
    assert!(done.status.success(), "{}", out(&done));
    assert_eq!(state_of(&app, &id).await, "COMPLETED");
    let pem = token_certificate(&app, &usb, &serial);
    assert_ne!(openssl::serial_of(&pem), serial);
    assert_eq!(openssl::subject_utf8(&pem), openssl::subject_utf8(&old_pem));
    assert_eq!(
        openssl::not_after_iso(&pem),
        openssl::not_after_iso(&old_pem)
    );
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);
    assert!(ocsp(&openssl::serial_of(&pem)).contains(": good"));
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert_eq!(detail.status(), "已完成");
    assert_eq!(detail.text("#written"), "已写入证书介质");
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// A new 个人证书 by post: the operator writes the key and ships it.
async fn new_by_post(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let mobile = "13812345679";
    let (b, id, form) = start_new(&app, mobile, "individual").await;
    let mut page = b
        .post(
            &form,
            &format!("/apply/{id}/form"),
            &[
                ("common_name", "王五"),
                ("id_number", "11010519491231002X"),
                ("years", "1"),
                ("medium", "mail"),
                ("ship_name", "王五"),
                ("ship_phone", "13812345679"),
                ("ship_address", "安徽省合肥市蜀山区黄山路 100 号"),
                ("contact_mobile", mobile),
            ],
        )
        .await;
    assert!(page.path().ends_with("/materials"), "{}", page.html);
    page = b
        .upload(
            &page,
            &format!("/apply/{id}/materials/id_card"),
            "id.png",
            holder::png(),
        )
        .await;
    submit_and_pay(&app, &b, &id, &page, "王五", "¥100.00").await;
    common::staff::approve(&app, "post.reviewer", &id).await;

    // A mailed key: the holder gets no code.
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert!(!detail.has("获取证书写入码"), "{}", detail.html);
    detail.assert_reads(
        "#issue .hint",
        "我们将把证书写入新的 U 盾后寄出，请留意快递信息。",
    );
    let before = app.business_snapshot().await;
    let r = b
        .post(&detail, &format!("/me/applications/{id}/pickup-code"), &[])
        .await;
    assert_eq!(r.status, 409, "{}", r.html);
    assert_eq!(
        r.error(),
        "该申请选择了邮寄证书介质，将由我们写入证书后寄出"
    );
    assert_eq!(app.business_snapshot().await, before);

    // The operator cannot ship before the key is written.
    let op = common::staff::staff(&app, "post.operator", "operator", &[]).await;
    let desk = op.browser.get(&format!("/admin/applications/{id}")).await;
    assert!(
        desk.text("#ship-to")
            .contains("安徽省合肥市蜀山区黄山路 100 号"),
        "{}",
        desk.text("#ship-to")
    );
    assert_eq!(desk.text("#make-code"), "生成写入码");
    assert!(
        !desk.shows("#ship") && !desk.has("id=\"ship\""),
        "{}",
        desk.html
    );
    let ship = format!("/admin/applications/{id}/ship");
    let early = op
        .browser
        .post(
            &desk,
            &ship,
            &[("carrier", "顺丰速运"), ("tracking_no", "SF1234567890")],
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.html);
    assert_eq!(
        early.error(),
        "证书尚未写入证书介质：请先生成写入码，用证书助手写入后再发货"
    );
    assert_eq!(app.business_snapshot().await, before);

    // The operator's code writes the CA's key.
    let code_page = op
        .browser
        .post(&desk, &format!("/admin/applications/{id}/pickup-code"), &[])
        .await;
    let code = code_page.text("#pickup-code");
    // The operator initialises a blank key for the holder (its SO PIN held by
    // the CA for 找回密码 to the holder's mobile), then writes it.
    let usb = Usb::new("counter-spare");
    let otp = common::staff::code(&op.secret, 1).await;
    let init = run_with(
        &usb,
        &app,
        &[
            "token",
            "init",
            "--label",
            "mailed",
            "--mobile",
            mobile,
            "--operator",
            "post.operator",
        ],
        &format!("{}\n{otp}\n246810\n", common::staff::PASSWORD),
        None,
    )
    .await;
    assert!(init.status.success(), "{}", out(&init));
    let done = run_with(
        &usb,
        &app,
        &["--token", "mailed", "pickup", "--code", &code],
        "246810\n",
        None,
    )
    .await;
    assert!(done.status.success(), "{}", out(&done));
    assert!(out(&done).contains("请在后台登记发货"), "{}", out(&done));
    assert_eq!(state_of(&app, &id).await, "APPROVED");
    let serial = out(&done)
        .split("序列号 ")
        .nth(1)
        .and_then(|rest| rest.split('）').next())
        .expect("the assistant names the serial")
        .to_string();
    let p11 = |args: &[&str]| {
        let mut all = vec![
            "--module",
            MODULE,
            "--token-label",
            "mailed",
            "--login",
            "--pin",
            "246810",
        ];
        all.extend_from_slice(args);
        usb.tool("pkcs11-tool", &all)
    };
    let objects = p11(&["--list-objects"]);
    assert_eq!(
        objects.matches("Certificate Object").count(),
        1,
        "{objects}"
    );
    assert!(objects.contains("never extractable"), "{objects}");
    let der = app.path("mailed.der");
    p11(&[
        "--read-object",
        "--type",
        "cert",
        "--label",
        &format!("certhall {serial}"),
        "--output-file",
        der.to_str().unwrap(),
    ]);
    let pem = app.path("mailed.pem");
    openssl::der_to_pem(&der, &pem);
    assert!(openssl::subject_utf8(&pem).contains("王五"));
    let chain = app.chain_file().await;
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        pem.to_str().unwrap(),
    ]);

    // Shipping: a malformed number is refused, then 已发货.
    let desk = op.browser.get(&format!("/admin/applications/{id}")).await;
    assert!(desk.shows("#ship"), "{}", desk.html);
    assert!(
        desk.text("#written").starts_with("已写入"),
        "{}",
        desk.text("#written")
    );
    let before = app.business_snapshot().await;
    let bad = op
        .browser
        .post(
            &desk,
            &ship,
            &[("carrier", "顺丰速运"), ("tracking_no", "SF-12")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error(), "快递单号应为 6–32 位字母或数字");
    assert_eq!(app.business_snapshot().await, before);
    let shipped = op
        .browser
        .post(
            &desk,
            &ship,
            &[("carrier", "顺丰速运"), ("tracking_no", "SF1234567890")],
        )
        .await;
    assert_eq!(shipped.notice(), "已登记发货");
    assert_eq!(shipped.status(), "已发货");
    assert_eq!(state_of(&app, &id).await, "SHIPPED");
    assert_eq!(
        app.text("SELECT actor FROM audit_log WHERE action = 'application.shipped'")
            .await,
        "staff:post.operator"
    );
    let sms = std::fs::read_to_string(app.settings.data_dir.join("outbox/sms.log")).unwrap();
    assert!(
        sms.lines()
            .any(|l| l.split('\t').nth(1) == Some(mobile) && l.contains("SF1234567890")),
        "the holder is told the tracking number: {sms}"
    );

    // The holder sees the tracking number and confirms receipt.
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert!(
        detail.text("#shipment").contains("SF1234567890"),
        "{}",
        detail.text("#shipment")
    );
    assert_eq!(detail.text("#confirm-received"), "确认收到证书介质");
    let finished = b
        .post(&detail, &format!("/me/applications/{id}/received"), &[])
        .await;
    assert_eq!(finished.status(), "已完成");
    assert_eq!(state_of(&app, &id).await, "COMPLETED");
    // The key is the holder's in 个人中心: its certificate, and 找回密码 for it.
    let me = b.get("/me").await;
    assert!(
        me.shows(&format!("#certificates #cert-{serial}"))
            && me.shows(&format!("#tokens #token-{}", usb_serial(&usb))),
        "{}",
        me.html
    );
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

on_both_databases!(new_then_reissue, new_by_post);

/// The serial of the key the operator initialised (the second token).
fn usb_serial(usb: &Usb) -> String {
    let slots = usb.tool("pkcs11-tool", &["--module", MODULE, "--list-token-slots"]);
    let at = slots.find("mailed").expect("the initialised key is listed");
    slots[at..]
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("serial num"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .expect("its serial")
}
