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
use common::flow::pay_with_alipay;
use common::holder;
use domain::calendar::{add_years, civil};
use testkit::openssl;
use testkit::softhsm::{MODULE, Token as Usb};
use testkit::{Backend, on_both_databases};

const ORG: &str = "合肥新办科技有限公司";
const CREDIT_CODE: &str = holder::CODE;

/// The text of the element `id` on the page.
fn element(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page
        .html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}: {}", page.html))
        + marker.len();
    page.html[start..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

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
    assert!(
        page.has("办理机构证书") && page.has("办理个人证书"),
        "{}",
        page.html
    );
    let form = b
        .post(&page, "/apply/new", &[("cert_type", cert_type)])
        .await;
    assert!(form.path().ends_with("/form"), "{}", form.url);
    let id = form.path().split('/').nth(2).unwrap().to_string();
    (b, id, form)
}

/// Submits, pays with 支付宝 and has a reviewer approve.
async fn pay_and_approve(
    app: &TestApp,
    b: &Browser,
    id: &str,
    materials: &Page,
    title: &str,
    amount: &str,
) {
    let order = b.post(materials, &format!("/apply/{id}/submit"), &[]).await;
    assert!(order.path().starts_with("/pay/"), "{}", order.html);
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    pay_with_alipay(app, b, &order_id, title, amount).await;
    assert_eq!(state_of(app, id).await, "PENDING_REVIEW");
}

/// The 写入码 the holder gets in 个人中心.
async fn holder_code(b: &Browser, id: &str) -> String {
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert!(detail.has("获取证书写入码"), "{}", detail.html);
    let page = b
        .post(&detail, &format!("/me/applications/{id}/pickup-code"), &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    element(&page, "pickup-code")
}

/// A new 机构证书 on the holder's own key; returns the browser, the
/// certificate's serial and the token.
async fn new_on_own_key(app: &TestApp, mobile: &str) -> (Browser, String, Usb) {
    let (b, id, form) = start_new(app, mobile, "enterprise").await;
    for needle in ["¥300.00", "¥600.00", "¥900.00", "自有证书介质", "邮寄"] {
        assert!(form.has(needle), "{needle}: {}", form.html);
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
    for message in [
        "校验位不正确",
        "请选择 1 至 3 年",
        "请输入 11 位中国大陆手机号",
        "此项为必填项",
    ] {
        assert!(bad.has(message), "{message}: {}", bad.html);
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
    assert!(
        no_medium.has("请选择证书介质的领取方式"),
        "{}",
        no_medium.html
    );
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
    assert!(missing.has("授权委托书"), "{}", missing.html);
    assert_eq!(app.business_snapshot().await, before);
    page = b
        .upload(
            &page,
            &format!("/apply/{id}/materials/authorization"),
            "授权委托书.pdf",
            holder::pdf(),
        )
        .await;
    pay_and_approve(app, &b, &id, &page, ORG, "¥600.00").await;

    // The desk shows what is asked for.
    let reviewer = common::staff::staff(app, &format!("r{mobile}"), "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{id}"))
        .await;
    for needle in [
        "申请信息",
        ORG,
        CREDIT_CODE,
        "否（须提供授权委托书）",
        "2 年",
        "申请人自有证书介质",
    ] {
        assert!(desk.has(needle), "{needle}: {}", desk.html);
    }
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
    assert!(me.has(&format!("id=\"cert-{serial}\"")), "{}", me.html);
    for business in ["change", "seal-change", "reissue", "revoke"] {
        assert!(
            me.has(&format!("id=\"{business}-{serial}\"")),
            "{business}: {}",
            me.html
        );
    }
    assert!(
        !me.has(&format!("id=\"renew-{serial}\"")) && me.has("起可办理"),
        "{}",
        me.html
    );
    let query = b.get("/query").await;
    assert!(query.has("id=\"my-certificates-link\""), "{}", query.html);
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
    assert!(form.has("¥100.00") || form.has("在线补办"), "{}", form.html);
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
    assert!(bad.has("请选择原证书介质的情况"), "{}", bad.html);
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
    pay_and_approve(&app, &b, &id, &page, ORG, "¥100.00").await;

    let (chain, issuing) = (app.chain_file().await, app.issuing_file().await);
    let url = format!("{}/pki/ocsp", app.base);
    let ocsp = |serial: &str| openssl::ocsp_by_serial(&issuing, &chain, &url, serial);
    assert!(ocsp(&serial).contains(": good"));
    let reviewer = common::staff::staff(&app, "reissue.reviewer", "reviewer", &[]).await;
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{id}"))
        .await;
    assert!(
        desk.has("补办前后对比") && desk.has("密钥泄露") && desk.has("（不变）"),
        "{}",
        desk.html
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
    assert!(
        detail.has("id=\"status\">已完成") && detail.has("已写入证书介质"),
        "{}",
        detail.html
    );
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
    pay_and_approve(&app, &b, &id, &page, "王五", "¥100.00").await;
    common::staff::approve(&app, "post.reviewer", &id).await;

    // A mailed key: the holder gets no code.
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert!(
        !detail.has("获取证书写入码") && detail.has("写入新的 U 盾后寄出"),
        "{}",
        detail.html
    );
    let before = app.business_snapshot().await;
    let r = b
        .post(&detail, &format!("/me/applications/{id}/pickup-code"), &[])
        .await;
    assert_eq!(r.status, 409, "{}", r.html);
    assert!(r.has("该申请选择了邮寄证书介质"), "{}", r.html);
    assert_eq!(app.business_snapshot().await, before);

    // The operator cannot ship before the key is written.
    let op = common::staff::staff(&app, "post.operator", "operator", &[]).await;
    let desk = op.browser.get(&format!("/admin/applications/{id}")).await;
    assert!(
        desk.has("安徽省合肥市蜀山区黄山路 100 号")
            && desk.has("生成写入码")
            && !desk.has("id=\"ship\""),
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
    assert!(early.has("证书尚未写入证书介质"), "{}", early.html);
    assert_eq!(app.business_snapshot().await, before);

    // The operator's code writes the CA's key.
    let code_page = op
        .browser
        .post(&desk, &format!("/admin/applications/{id}/pickup-code"), &[])
        .await;
    let code = element(&code_page, "pickup-code");
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
    assert!(
        desk.has("id=\"ship\"") && desk.has("已写入"),
        "{}",
        desk.html
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
    assert!(bad.has("快递单号应为 6–32 位字母或数字"), "{}", bad.html);
    assert_eq!(app.business_snapshot().await, before);
    let shipped = op
        .browser
        .post(
            &desk,
            &ship,
            &[("carrier", "顺丰速运"), ("tracking_no", "SF1234567890")],
        )
        .await;
    assert!(shipped.has("已登记发货"), "{}", shipped.html);
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
        detail.has("SF1234567890") && detail.has("确认收到证书介质"),
        "{}",
        detail.html
    );
    let finished = b
        .post(&detail, &format!("/me/applications/{id}/received"), &[])
        .await;
    assert!(finished.has("id=\"status\">已完成"), "{}", finished.html);
    assert_eq!(state_of(&app, &id).await, "COMPLETED");
    // The key is the holder's in 个人中心: its certificate, and 找回密码 for it.
    let me = b.get("/me").await;
    assert!(
        me.has(&format!("id=\"cert-{serial}\""))
            && me.has(&format!("id=\"token-{}\"", usb_serial(&usb))),
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
