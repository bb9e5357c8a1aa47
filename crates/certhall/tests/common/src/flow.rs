//! Steps of the 证书变更 flow that several tests walk.

use testkit::openssl::KeyKind;

use crate::TestApp;
use crate::browser::{Browser, Page};
use crate::holder::{self, CODE};

/// Hand-off, sign-in, 基本信息 and the three required materials; returns
/// (browser, application id, the materials page).
pub async fn to_materials(app: &TestApp, mobile: &str) -> (Browser, String, Page) {
    let holder = holder::enterprise(app, &format!("h{mobile}"), KeyKind::P256).await;
    let link = holder::handoff_link(app, &holder).await;
    materials_from_link(app, &link, mobile).await
}

/// From a hand-off link (`/handoff/…`): sign-in, 基本信息 and the three required
/// materials; returns (browser, application id, the materials page).
pub async fn materials_from_link(
    app: &TestApp,
    link: &str,
    mobile: &str,
) -> (Browser, String, Page) {
    let b = Browser::new(&app.base);
    b.get(link).await;
    let form = b
        .sign_in(&app.settings.data_dir, mobile, "/handoff/continue")
        .await;
    let (app_id, page) = change_form_and_materials(&b, &form, mobile).await;
    (b, app_id, page)
}

/// On 证书变更's 基本信息 `form`: the new details and the three required
/// materials; returns (application id, the materials page).
pub async fn change_form_and_materials(b: &Browser, form: &Page, mobile: &str) -> (String, Page) {
    assert_eq!(
        form.attr("#contact_mobile", "value"),
        mobile,
        "the contact mobile is pre-filled"
    );
    let app_id = form.path().split('/').nth(2).unwrap().to_string();
    let mut page = b
        .post(
            form,
            &format!("/apply/{app_id}/form"),
            &[
                ("organization", "合肥新名科技有限公司"),
                ("credit_code", CODE),
                ("common_name", "张三"),
                ("contact_mobile", mobile),
                ("contact_email", "zhangsan@example.com"),
                ("reason", "单位更名"),
            ],
        )
        .await;
    for kind in ["business_license", "change_notice", "agent_id"] {
        page = b
            .upload(
                &page,
                &format!("/apply/{app_id}/materials/{kind}"),
                "f.pdf",
                holder::pdf(),
            )
            .await;
    }
    (app_id, page)
}

/// Up to 图 2.13: submitted, 电子发票 saved, both agreements ticked. Returns
/// (browser, application id, order id, the method page).
pub async fn to_method(app: &TestApp, mobile: &str) -> (Browser, String, String, Page) {
    let (b, app_id, page) = to_materials(app, mobile).await;
    let order = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert!(order.path().starts_with("/pay/"), "{}", order.url);
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    let form = b.get(&format!("/pay/{order_id}/invoice")).await;
    assert_eq!(
        form.attr("#title", "value"),
        "合肥新名科技有限公司",
        "the invoice title starts from the application"
    );
    let method = invoice_and_terms(&b, &order_id, "合肥新名科技有限公司").await;
    assert_eq!(method.text("#pay-alipay"), "支付宝");
    assert_eq!(method.text("#pay-wechat"), "微信支付");
    assert_eq!(method.text("#pay-bank"), "对公转账");
    (b, app_id, order_id, method)
}

/// 电子发票 for a company (图 2.12) and both agreements ticked (图 2.13):
/// returns the page of payment methods.
pub async fn invoice_and_terms(b: &Browser, order_id: &str, title: &str) -> Page {
    let form = b.get(&format!("/pay/{order_id}/invoice")).await;
    let saved = b
        .post(
            &form,
            &format!("/pay/{order_id}/invoice"),
            &[
                ("title_type", "company"),
                ("title", title),
                ("tax_id", CODE),
                ("email", "finance@example.com"),
            ],
        )
        .await;
    assert_eq!(saved.text("#submit-pay"), "提交并支付");
    assert_eq!(saved.text("#edit-invoice"), "修改发票信息");
    let agreements = saved.texts("[data-agreements] label");
    assert!(
        agreements[0].ends_with("《在线缴费协议》")
            && agreements[1].ends_with("《电子认证证书服务条款》"),
        "{agreements:?}"
    );
    let method = b
        .post(
            &saved,
            &format!("/pay/{order_id}/agree"),
            &[("payment_terms", "1"), ("service_terms", "1")],
        )
        .await;
    assert!(method.path().ends_with("/method"), "{}", method.url);
    method
}

/// From the order page after 下一步: 电子发票 for a company, both agreements,
/// and payment at the sandbox's Alipay cashier. Returns the page the cashier
/// sends the browser back to (支付成功).
pub async fn pay_with_alipay(
    app: &TestApp,
    b: &Browser,
    order_id: &str,
    title: &str,
    amount: &str,
) -> Page {
    let method = invoice_and_terms(b, order_id, title).await;
    let cashier = b
        .post(&method, &format!("/pay/{order_id}/alipay"), &[])
        .await;
    assert_eq!(cashier.text("h1"), "支付宝收银台（沙箱）");
    assert_eq!(cashier.text(".amount"), amount);
    let no = app
        .text(&format!(
            "SELECT out_trade_no FROM orders WHERE id = '{order_id}'"
        ))
        .await;
    let sandbox = app.server.sandbox.as_ref().expect("the sandbox runs");
    let done = b
        .client
        .post(format!("{}/alipay/cashier/{no}/pay", sandbox.base))
        .send()
        .await
        .unwrap();
    let status = done.status().as_u16();
    let url = done.url().to_string();
    let html = done.text().await.unwrap();
    assert!(url.ends_with(&format!("/pay/{order_id}/success")), "{url}");
    Page { status, url, html }
}

/// A holder signed in through the hand-off link; returns the browser and the
/// page it lands on.
pub async fn open_link(app: &TestApp, link: &str, mobile: &str) -> (Browser, Page) {
    let b = Browser::new(&app.base);
    b.get(link).await;
    let page = b
        .sign_in(&app.settings.data_dir, mobile, "/handoff/continue")
        .await;
    (b, page)
}

/// Submits and pays with 支付宝: the application waits for its reviewer.
pub async fn submit_and_pay(
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
    let state = app
        .text(&format!("SELECT state FROM applications WHERE id = '{id}'"))
        .await;
    assert_eq!(state, "PENDING_REVIEW");
}

/// The 写入码 the holder gets in 个人中心.
pub async fn holder_code(b: &Browser, id: &str) -> String {
    let detail = b.get(&format!("/me/applications/{id}")).await;
    assert_eq!(detail.text("#get-code"), "获取证书写入码");
    let page = b
        .post(&detail, &format!("/me/applications/{id}/pickup-code"), &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.text("#pickup-code")
}
