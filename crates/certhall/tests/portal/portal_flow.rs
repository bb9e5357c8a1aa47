//! The free 证书变更 flow of chapter 三, over HTTP: the assistant's hand-off (a
//! software key stands in for the USB key), sign-in with the code from the SMS
//! outbox, 基本信息, materials, 下一步 → "申请成功，等待审核", and 个人中心.

use ca::KeyAlgorithm;
use common::TestApp;
use common::browser::Browser;
use common::holder::{self, CODE, ORG};
use testkit::openssl::KeyKind;
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.server.authority.db().pool())
        .await
        .unwrap();
    n
}

async fn free_change_flow(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let data = app.settings.data_dir.clone();
    let holder = holder::enterprise(&app, "holder", KeyKind::P256).await;

    // 自助服务 (图 3.1, 3.2) and the 证书变更 page (图 3.3).
    let b = Browser::new(&app.base);
    let hall = b.get("/selfservice").await;
    for entry in [
        "在线新办",
        "在线延期",
        "在线补办",
        "签章变更",
        "找回密码",
        "证书查询与证书变更",
    ] {
        hall.assert_reads(".entry h2", entry);
    }
    let change = b.get("/selfservice/change").await;
    assert_eq!(change.text("#download-install"), "下载并安装");
    assert_eq!(change.text("#open-assistant"), "打开证书助手");
    assert_eq!(
        change.attr("#open-assistant", "href"),
        "certhall://open?business=change"
    );

    // The assistant proves possession and opens the browser (图 3.8).
    let link = holder::handoff_link(&app, &holder).await;
    let landing = b.get(&link).await;
    assert!(
        landing.path().starts_with("/signin"),
        "not signed in: sign in first ({})",
        landing.url
    );

    // Sign in with the SMS code; then the form opens by itself.
    let form = b.sign_in(&data, MOBILE, "/handoff/continue").await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.path().ends_with("/form"), "{}", form.url);
    let app_id = form.path().split('/').nth(2).unwrap().to_string();
    assert_eq!(form.text("h1"), "基本信息");
    // The form shows the certificate.
    form.assert_reads(".facts dd", &holder.serial);
    assert_eq!(
        form.attr("#organization", "value"),
        ORG,
        "pre-filled from the certificate"
    );
    assert_eq!(form.attr("#credit_code", "value"), CODE);
    assert_eq!(
        form.text("#account"),
        "138****5678",
        "the header shows the masked number"
    );
    assert_eq!(form.attr("#account", "href"), "/me", "…linking to 个人中心");

    // 基本信息: the company was renamed.
    let materials = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[
                ("organization", "合肥新名科技有限公司"),
                ("credit_code", CODE),
                ("common_name", "张三"),
                ("contact_mobile", MOBILE),
                ("contact_email", "zhangsan@example.com"),
                ("reason", "单位更名"),
            ],
        )
        .await;
    assert_eq!(materials.status, 200, "{}", materials.html);
    assert!(materials.path().ends_with("/materials"));
    for slot in ["营业执照副本", "工商变更通知书", "经办人身份证"] {
        materials.assert_reads(".material-head strong", slot);
    }

    // 上传资料 (图 3.9).
    let mut page = materials;
    for (kind, name, bytes) in [
        ("business_license", "营业执照.pdf", holder::pdf()),
        ("change_notice", "变更通知书.png", holder::png()),
        ("agent_id", "身份证.jpg", holder::jpeg()),
    ] {
        page = b
            .upload(
                &page,
                &format!("/apply/{app_id}/materials/{kind}"),
                name,
                bytes,
            )
            .await;
        assert_eq!(page.status, 200, "{kind}: {}", page.html);
        // Shown back.
        assert_eq!(page.text(&format!("#material-{kind} .uploaded a")), name);
    }
    assert!(
        page.shows("#material-change_notice img.thumb")
            && page.shows("#material-agent_id img.thumb"),
        "images are previewed"
    );

    // 下一步 → 申请成功，等待审核 (图 3.10).
    let done = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert_eq!(done.text("#result"), "申请成功，等待审核");

    // 个人中心: 待审核 with its timeline.
    let me = b.get("/me").await;
    let line = format!("#app-{app_id}");
    assert_eq!(me.text(&format!("{line} td")), "证书变更");
    assert_eq!(me.text(&format!("{line} .badge.info")), "待审核");
    // 我的证书: the certificate the hand-off proved, and why 在线延期 is not
    // open yet (a new certificate is far from its renewal window).
    let row = format!("#cert-{}", holder.serial);
    me.assert_reads(&format!("{row} td"), "合肥旧名科技有限公司 · 张三");
    assert_eq!(me.text(&format!("{row} .badge.ok")), "有效");
    let renewal = me.texts(&format!("{row} td"))[4].clone();
    assert!(renewal.contains("在线延期自到期前 90 天"), "{renewal}");
    // Nobody else sees it.
    let other = Browser::new(&app.base);
    other
        .sign_in(&app.settings.data_dir, "13900001111", "/me")
        .await;
    let theirs = other.get("/me").await;
    theirs.assert_reads(
        ".empty",
        "暂无证书：通过证书助手办理业务后，相关证书会列在这里。",
    );
    assert!(!theirs.has(&holder.serial), "{}", theirs.html);
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "待审核");
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline
            .iter()
            .any(|l| l.contains("通过证书助手发起证书变更"))
            && timeline.iter().any(|l| l.contains("提交申请")),
        "{timeline:?}"
    );
    let changes = detail.texts(".compare td");
    assert!(
        changes.iter().any(|c| c == "合肥旧名科技有限公司")
            && changes.iter().any(|c| c == "合肥新名科技有限公司"),
        "{changes:?}"
    );
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM applications WHERE id = '{app_id}' AND state = 'PENDING_REVIEW'")).await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM application_events WHERE application_id = '{app_id}'")
        )
        .await,
        2
    );

    // The uploaded file comes back byte for byte, to its owner.
    let href = detail.attr(".materials a[href^=\"/materials/\"]", "href");
    let material_id = href.trim_start_matches("/materials/").to_string();
    let bytes = b
        .client
        .get(format!("{}/materials/{material_id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), 200);
    let body = bytes.bytes().await.unwrap().to_vec();
    assert!([holder::pdf(), holder::png(), holder::jpeg()].contains(&body));

    // A second hand-off for the same certificate leads to this application.
    let again = b.get(&holder::handoff_link(&app, &holder).await).await;
    assert!(
        again
            .path()
            .starts_with(&format!("/me/applications/{app_id}")),
        "{}",
        again.url
    );
    assert_eq!(
        again.notice(),
        "该证书已有正在办理中的同类申请，已为您打开这份申请。"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM applications").await, 1);

    // Signing out ends the session.
    let out = b.post(&again, "/signout", &[]).await;
    assert_eq!(out.text("header .account"), "登录");
    let me = b.get("/me").await;
    assert!(me.path().starts_with("/signin"));
    app.server.stop().await;
}

/// An individual certificate, and the same flow read in English.
async fn individual_in_english(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let holder = holder::individual(&app, "person").await;
    let b = Browser::english(&app.base);
    b.get("/").await;
    let link = holder::handoff_link(&app, &holder).await;
    b.get(&link).await;
    let form = b
        .sign_in(&app.settings.data_dir, "13912345678", "/handoff/continue")
        .await;
    assert_eq!(form.text("h1"), "Basic information");
    assert_eq!(
        form.attr("#id_number", "value"),
        "11010519491231002X",
        "the ID number comes from the certificate"
    );
    let app_id = form.path().split('/').nth(2).unwrap().to_string();
    let page = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[
                ("common_name", "李四新"),
                ("id_number", "11010519491231002X"),
                ("contact_mobile", "13912345678"),
                ("reason", "改名"),
            ],
        )
        .await;
    assert_eq!(page.text("h1"), "Upload documents");
    // Submitting without the required ID card is refused, in English.
    let refused = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .text("#submit-error")
            .starts_with("Please upload: ID card (both sides)"),
        "{}",
        refused.text("#submit-error")
    );
    let page = b
        .upload(
            &refused,
            &format!("/apply/{app_id}/materials/id_card"),
            "id.png",
            holder::png(),
        )
        .await;
    let done = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(
        done.text("#result"),
        "Application submitted, awaiting review"
    );
    let me = b.get("/me").await;
    assert_eq!(me.text(&format!("#app-{app_id} .badge")), "Under review");
    me.assert_reads("h2", "My certificates");
    let row = format!("#cert-{}", holder.serial);
    let renewal = me.texts(&format!("{row} td"))[4].clone();
    assert!(
        renewal.contains("renewal opens 90 days before"),
        "{renewal}"
    );
    app.server.stop().await;
}

on_both_databases!(free_change_flow, individual_in_english);

/// `certhall handoff` plays the assistant with a key file: SM2 on an SM2 CA, and
/// an RSA key's proof through the API directly.
async fn handoff_from_the_command_line(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .algorithm(KeyAlgorithm::Sm2)
        .spawn()
        .await;
    let holder = holder::enterprise(&app, "sm2", KeyKind::Sm2).await;
    let out = app
        .cli(&[
            "handoff",
            "--cert",
            holder.cert.to_str().unwrap(),
            "--key",
            holder.key.to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{}", common::stderr(&out));
    let url = common::stdout(&out).trim().to_string();
    assert!(url.starts_with(&format!("{}/handoff/", app.base)), "{url}");
    let b = Browser::new(&app.base);
    b.get(&url[app.base.len()..]).await;
    let form = b
        .sign_in(&app.settings.data_dir, MOBILE, "/handoff/continue")
        .await;
    assert_eq!(form.text("h1"), "基本信息");
    form.assert_reads(".facts dd", &holder.serial);

    // A key that is not the certificate's is refused by the server, clearly.
    let (other, _) = testkit::openssl::key_and_csr(app.dir.path(), "other", KeyKind::Sm2);
    let out = app
        .cli(&[
            "handoff",
            "--cert",
            holder.cert.to_str().unwrap(),
            "--key",
            other.to_str().unwrap(),
        ])
        .await;
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("签名验证失败"),
        "{}",
        common::stderr(&out)
    );
    app.server.stop().await;

    let app = TestApp::new()
        .backend(backend)
        .algorithm(KeyAlgorithm::Rsa2048)
        .spawn()
        .await;
    let holder = holder::enterprise(&app, "rsa", KeyKind::Rsa(2048)).await;
    let link = holder::handoff_link(&app, &holder).await;
    assert!(link.starts_with("/handoff/"));
    app.server.stop().await;
}

/// 个人中心 › 我的证书 › 证书变更 (and 签章变更) start the business for that
/// certificate: the change is the very application the assistant's hand-off
/// opened, not a second one; someone else's certificate is not found.
async fn change_from_my_certificates(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let data = app.settings.data_dir.clone();
    let holder = holder::enterprise(&app, "holder", KeyKind::P256).await;
    let b = Browser::new(&app.base);
    b.get(&holder::handoff_link(&app, &holder).await).await;
    let form = b.sign_in(&data, MOBILE, "/handoff/continue").await;
    let handed_off = form.path().split('/').nth(2).unwrap().to_string();

    let me = b.get("/me").await;
    assert_eq!(me.text(&format!("#change-{}", holder.serial)), "证书变更");
    let again = b
        .post(
            &me,
            &format!("/me/certificates/{}/change", holder.serial),
            &[],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.html);
    assert_eq!(
        again.path(),
        format!("/apply/{handed_off}/form?existing=1"),
        "the hand-off's application, said to be the one already open"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM applications WHERE business = 'change'"
        )
        .await,
        1
    );

    let me = b.get("/me").await;
    let seal = b
        .post(
            &me,
            &format!("/me/certificates/{}/seal", holder.serial),
            &[],
        )
        .await;
    assert_eq!(seal.status, 200, "{}", seal.html);
    assert!(seal.path().ends_with("/form"), "{}", seal.url);
    assert_eq!(seal.text("h1"), "签章变更");
    seal.assert_reads(".facts dd", &holder.serial);

    // Another holder: not found, nothing opened.
    let other = Browser::new(&app.base);
    let theirs = other.sign_in(&data, "13912345678", "/me").await;
    let before = count(&app, "SELECT COUNT(*) FROM applications").await;
    let r = other
        .post(
            &theirs,
            &format!("/me/certificates/{}/change", holder.serial),
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.html);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM applications").await,
        before
    );
    app.server.stop().await;
}

mod my_certificates {
    use super::*;
    on_both_databases!(change_from_my_certificates);
}

mod cli_handoff {
    use super::*;
    on_both_databases!(handoff_from_the_command_line);
}

use common::flow::to_materials;

/// A priced business goes to 待支付 (the payment centre takes over), and can be
/// cancelled there; a cancelled application frees the certificate for a new one.
async fn paid_flow_stops_at_payment(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(domain::Business::Change, 100)
        .spawn()
        .await;
    let (b, app_id, page) = to_materials(&app, MOBILE).await;
    let order = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert!(
        order.path().starts_with("/pay/"),
        "下一步 opens the payment centre: {}",
        order.url
    );
    assert_eq!(order.text("h1"), "支付中心");
    assert_eq!(order.text("#amount"), "¥100.00");
    assert_eq!(order.text("#invoice-button"), "电子发票");
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "待支付");
    detail.assert_reads(".facts dd", "¥100.00");
    let cancelled = b
        .post(&detail, &format!("/me/applications/{app_id}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status(), "已取消");
    let timeline = cancelled.texts("#timeline li");
    assert!(
        timeline.iter().any(|l| l.contains("申请人取消申请")),
        "{timeline:?}"
    );
    // Cancelling twice is refused and changes nothing.
    let before = app.portal_snapshot().await;
    let again = b
        .post(
            &cancelled,
            &format!("/me/applications/{app_id}/cancel"),
            &[],
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error(), "申请当前状态不能进行此操作");
    assert_eq!(before, app.portal_snapshot().await);
    common::ledger::assert_invariant(&app).await;
    app.server.stop().await;
}

/// 退回补正: the holder edits and resubmits; it goes back to review (payment stands).
async fn returned_application_is_resubmitted(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let (b, app_id, page) = to_materials(&app, MOBILE).await;
    b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    // Until the back office exists, staff's "return for correction" is done here.
    let row = store::applications::by_id(
        &mut app.server.authority.db().conn().await.unwrap(),
        &app_id,
    )
    .await
    .unwrap()
    .unwrap();
    let ra_state = domain::AppState::PendingReview;
    let to = ra_state
        .after(domain::AppAction::ReturnForCorrection)
        .unwrap();
    let mut tx = app.server.authority.db().begin().await.unwrap();
    store::applications::transition(&mut tx, &row.id, ra_state, to, false, false, None, 1)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();

    let me = b.get("/me").await;
    assert_eq!(me.text(&format!("#app-{app_id} .badge")), "退回补正");
    assert!(
        me.shows(&format!("#app-{app_id} a[href=\"/apply/{app_id}\"]")),
        "{}",
        me.text(&format!("#app-{app_id}"))
    );
    let form = b.get(&format!("/apply/{app_id}/form")).await;
    assert_eq!(
        form.attr("#organization", "value"),
        "合肥新名科技有限公司",
        "the saved form comes back for editing"
    );
    let page = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[
                ("organization", "合肥更新名科技有限公司"),
                ("credit_code", CODE),
                ("common_name", "张三"),
                ("contact_mobile", MOBILE),
                ("reason", "按要求补正"),
            ],
        )
        .await;
    let page = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/change_notice"),
            "new.pdf",
            holder::pdf(),
        )
        .await;
    let done = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(done.text("#result"), "申请成功，等待审核");
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    assert_eq!(detail.status(), "待审核");
    let timeline = detail.texts("#timeline li");
    assert!(
        timeline.iter().any(|l| l.contains("补正后重新提交")),
        "{timeline:?}"
    );
    // The replaced material is the current one.
    detail.assert_reads(".materials a", "new.pdf");
    app.server.stop().await;
}

mod lifecycle {
    use super::*;
    on_both_databases!(
        paid_flow_stops_at_payment,
        returned_application_is_resubmitted
    );
}
