//! The holder's steps every business shares: signing in with the mobile and
//! the SMS code (the outbox stands in for the phone), and paying in the
//! payment centre with 支付宝 at the sandbox cashier.

use crate::album::Album;
use crate::chrome::Chrome;
use crate::platform::Platform;

/// Signs in from the header's 登录 with `mobile`; waits for the header to show
/// it masked (`shown`).
pub async fn sign_in(chrome: &Chrome, platform: &Platform, mobile: &str, shown: &str) {
    chrome.goto("/").await;
    chrome.click("header a.account").await;
    chrome.fill("#mobile", mobile).await;
    chrome.click("#send-code").await;
    chrome.wait_text("验证码已发送").await;
    let code = platform.sms_code(mobile);
    chrome.fill("#code", &code).await;
    chrome.click("#signin").await;
    chrome.wait_text(shown).await;
}

/// The invoice's buyer.
pub struct Buyer<'a> {
    pub title: &'a str,
    pub tax_id: &'a str,
    pub email: &'a str,
}

/// The shots of a payment: (figure, caption) for the invoice form, the ticked
/// agreements, the methods, the cashier and 支付成功.
pub type PayShots<'a> = [(&'a str, &'a str); 5];

/// From the order page: 电子发票 for a company, the two agreements, 提交并支付,
/// 支付宝, 确认付款 at the sandbox cashier, back to 支付成功 with the e-invoice
/// (the page reloads itself until its link is there). `amount` as shown, e.g.
/// `100.00`.
pub async fn pay_with_alipay(
    chrome: &Chrome,
    album: &mut Album,
    shots: PayShots<'_>,
    buyer: &Buyer<'_>,
    amount: &str,
) {
    chrome.click("#invoice-button").await;
    chrome.wait_text("抬头类型").await;
    chrome.click("input[name=title_type][value=company]").await;
    chrome.fill("#title", buyer.title).await;
    chrome.fill("#tax_id", buyer.tax_id).await;
    chrome.fill("#email", buyer.email).await;
    album
        .page(
            chrome,
            shots[0].0,
            shots[0].1,
            &["电子发票", "纳税人识别号"],
        )
        .await;
    chrome.click("#save-invoice").await;
    chrome.wait_text("提交并支付").await;
    chrome.find("#edit-invoice").await; // 修改发票信息
    chrome.click("#payment-terms").await;
    chrome.click("#service-terms").await;
    album
        .page(
            chrome,
            shots[1].0,
            shots[1].1,
            &["在线缴费协议", "电子认证证书服务条款"],
        )
        .await;
    chrome.click("#submit-pay").await;
    chrome.wait_text("选择支付方式").await;
    album
        .page(
            chrome,
            shots[2].0,
            shots[2].1,
            &["支付宝", "微信支付", "对公转账"],
        )
        .await;
    chrome.click("#pay-alipay").await;
    chrome.wait_text("确认付款").await;
    album
        .page(chrome, shots[3].0, shots[3].1, &["支付宝收银台", amount])
        .await;
    chrome.click("#pay").await;
    chrome.wait_text("支付成功").await;
    chrome.find("#invoice-pdf").await;
    album
        .page(chrome, shots[4].0, shots[4].1, &["支付成功", "发票号码"])
        .await;
}

/// On the materials page: each file chosen in its slot and uploaded; waits for
/// each to show as uploaded.
pub async fn upload_materials(chrome: &Chrome, files: &[(&str, &std::path::Path)]) {
    for (kind, file) in files {
        let input = chrome.find(&format!("#file-{kind}")).await;
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        chrome
            .click(&format!("#material-{kind} form.upload button"))
            .await;
        chrome.find(&format!("#material-{kind} .uploaded")).await;
    }
}
