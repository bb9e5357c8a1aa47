//! The 自助服务 businesses beyond the manual's 证书变更, each walked in headless
//! Chromium against the real `certhall serve`, with the assistant on a
//! SoftHSM2 token where a key is written. Screenshots go to
//! `target/e2e/<business>/` (read back with Tesseract), one per screen.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::album::Album;
use e2e::backoffice;
use e2e::bins;
use e2e::chrome::Chrome;
use e2e::platform::Platform;
use e2e::portal;
use e2e::usb::{Assistant, Usb};
use testkit::Backend;
use testkit::openssl::{self, KeyKind};

const MOBILE: &str = "13955100002";
const MOBILE_SHOWN: &str = "139****0002";
const ORG: &str = "合肥长青科技有限公司";
const CREDIT_CODE: &str = "91110108551385082Q";

/// `openssl x509 -enddate` as milliseconds since the epoch.
fn end_of(pem: &Path) -> i64 {
    // 2027-12-30 20:10:11Z
    let t = openssl::not_after_iso(pem);
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    let days = domain::calendar::days_from_civil(n(0..4), n(5..7) as u32, n(8..10) as u32);
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000
}

/// A holder's USB key with a certificate issued at the counter (`extra`
/// arguments to `certhall ca issue`), and the assistant built for the suite:
/// (key, certificate file, assistant).
async fn holder(platform: &Platform, extra: &[&str]) -> (Usb, PathBuf, Assistant) {
    let (key, csr) = openssl::key_and_csr(platform.dir.path(), "holder", KeyKind::P256);
    let mut args = vec![
        "ca",
        "issue",
        "--csr",
        csr.to_str().unwrap(),
        "--profile",
        "enterprise",
        "--cn",
        "张三",
        "--org",
        ORG,
        "--credit-code",
        CREDIT_CODE,
    ];
    args.extend_from_slice(extra);
    let pem = platform.cli_ok(&args).await;
    let cert = platform.path("holder.pem");
    std::fs::write(&cert, pem).unwrap();
    let usb = Usb::new("holder-key");
    usb.import(&key, &cert);
    let home = platform.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let assistant = Assistant {
        bin: bins::assistant(),
        home,
        server: platform.base.clone(),
    };
    (usb, cert, assistant)
}

/// 在线延期 of a certificate 30 days from its end, for two years at ¥300.00 a
/// year, paid with 支付宝, approved in the back office, written by the
/// assistant into the same key: the new end is the old end plus two years.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let (usb, old, assistant) = holder(&platform, &["--days", "30"]).await;
    let conf = usb.conf.clone();
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("renew", "renew", "在线延期");

    // The business page.
    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    chrome.goto("/selfservice").await;
    chrome.click("#entry-renew").await;
    chrome.wait_text("打开证书助手").await;
    album
        .page(
            &chrome,
            "renew.01",
            "自助服务 › 在线延期：到期前 90 天至到期后一年内可办理",
            &["在线延期", "打开证书助手"],
        )
        .await;

    // The assistant: the key's certificate may be renewed now.
    let online = assistant.ok(&conf, &["status", "--online"]).await;
    assert!(online.contains("在线延期：可办理"), "{online}");
    assistant
        .window(
            &conf,
            "hall",
            &album.file("renew.02"),
            &["办事大厅", "在线延期"],
        )
        .await;
    album.add(
        "renew.02",
        "证书助手的办事大厅：点击在线延期",
        &["办事大厅", "在线延期"],
    );

    // 在线延期 opens the form in the browser.
    let said = assistant.ok(&conf, &["renew"]).await;
    assert!(said.contains("请在浏览器中填写基本信息"), "{said}");
    let link = assistant.opened().await;
    chrome.goto(&link).await;
    chrome.wait_text("延期年限").await;
    let path = chrome.path().await;
    let app_id = path
        .strip_prefix("/apply/")
        .and_then(|p| p.split('/').next())
        .unwrap_or_else(|| panic!("the hand-off led to {path}"))
        .to_string();
    chrome.click("#years-2").await;
    album
        .page(
            &chrome,
            "renew.03",
            "在线延期表单：当前证书与有效期，选择延期年限（每年 300 元）",
            &["延期年限", "300.00", "600.00", "900.00"],
        )
        .await;
    chrome.click("#save-form").await;
    chrome.wait_text("本业务无需上传资料").await;
    album
        .page(
            &chrome,
            "renew.04",
            "无需上传资料，点击下一步",
            &["上传资料", "无需上传资料"],
        )
        .await;
    chrome.click("#next").await;
    chrome.wait_text("支付中心").await;
    album
        .page(
            &chrome,
            "renew.05",
            "支付中心：两年共 600 元",
            &["支付中心", "600.00"],
        )
        .await;
    portal::pay_with_alipay(
        &chrome,
        &mut album,
        [
            ("renew.06", "填写电子发票信息"),
            ("renew.07", "勾选协议后提交并支付"),
            ("renew.08", "选择支付方式"),
            ("renew.09", "支付宝收银台（沙箱网关）：确认付款"),
            ("renew.10", "支付成功，附电子发票"),
        ],
        &portal::Buyer {
            title: ORG,
            tax_id: CREDIT_CODE,
            email: "finance@example.com",
        },
        "600.00",
    )
    .await;
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("待审核").await;
    album
        .page(
            &chrome,
            "renew.11",
            "个人中心：在线延期待审核，原有效期与延期后的有效期",
            &["在线延期", "待审核", "新证书有效期至"],
        )
        .await;

    backoffice::approve(
        &platform,
        &mut album,
        "renew.12",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台打开在线延期申请：原有效期与延期后的有效期",
            reads: &["延期前后对比", "延期后"],
            approved: "审核通过：申请人收到短信通知，回到证书助手完成在线延期",
        },
    )
    .await;

    // Approved: the assistant writes the renewed certificate into the key.
    let said = assistant.ok(&conf, &["renew"]).await;
    assert!(said.contains("在线延期已完成"), "{said}");
    assistant
        .window(&conf, "keys", &album.file("renew.13"), &["证书介质", ORG])
        .await;
    album.add(
        "renew.13",
        "审核通过后，在证书助手中再次点击在线延期：新证书写入原 U 盾",
        &["证书介质", ORG],
    );
    let objects = usb.objects();
    assert_eq!(
        objects.matches("Certificate Object").count(),
        1,
        "{objects}"
    );
    let label = objects
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("label:"))
        .map(|s| s.trim().to_string())
        .filter(|l| l.starts_with("certhall "))
        .expect("the new certificate carries the assistant's label");
    let renewed = platform.path("renewed.pem");
    usb.read_certificate(&label, &renewed);
    let (chain, _) = platform.ca_files().await;
    openssl::ok(&[
        "verify",
        "-CAfile",
        chain.to_str().unwrap(),
        renewed.to_str().unwrap(),
    ]);
    assert_eq!(
        end_of(&renewed),
        domain::calendar::add_years(end_of(&old), 2),
        "two years from the old end"
    );
    assert_eq!(openssl::subject_utf8(&renewed), openssl::subject_utf8(&old));

    chrome.goto("/me").await;
    chrome.wait_text("已完成").await;
    album
        .page(
            &chrome,
            "renew.14",
            "个人中心：在线延期已完成；我的证书列出新证书",
            &["已完成", "我的证书"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}

/// 注销 started from the assistant for a certificate issued at the counter:
/// the reason, the SMS code (a minute after the sign-in code, as the platform
/// sends at most one a minute to a number), a reviewer's approval, and OCSP
/// saying revoked (keyCompromise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let (usb, cert, assistant) = holder(&platform, &[]).await;
    let conf = usb.conf.clone();
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("revoke", "revoke", "证书注销");

    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    let signed_in = Instant::now();
    chrome.goto("/selfservice/revoke").await;
    chrome.wait_text("申请注销").await;
    album
        .page(
            &chrome,
            "revoke.01",
            "证书注销：在个人中心或证书助手中发起",
            &["证书注销", "申请注销"],
        )
        .await;

    let said = assistant.ok(&conf, &["revoke"]).await;
    assert!(said.contains("请在浏览器中选择注销原因"), "{said}");
    chrome.goto(&assistant.opened().await).await;
    chrome.wait_text("注销原因").await;
    album
        .page(
            &chrome,
            "revoke.02",
            "注销表单：当前证书、注销原因与短信验证码",
            &["注销原因", "不可恢复", "不再使用"],
        )
        .await;
    chrome.click("#reason-keyCompromise").await;
    chrome.fill("#note", "U 盾遗失").await;
    if let Some(wait) = Duration::from_secs(61).checked_sub(signed_in.elapsed()) {
        tokio::time::sleep(wait).await;
    }
    chrome.click("#send-code").await;
    chrome.wait_text("验证码已发送").await;
    chrome.fill("#code", &platform.sms_code(MOBILE)).await;
    album
        .page(
            &chrome,
            "revoke.03",
            "获取验证码并填写，原因保持所选",
            &["验证码已发送", "不可恢复"],
        )
        .await;
    chrome.click("#confirm-revoke").await;
    chrome.wait_text("待审核").await;
    let path = chrome.path().await;
    let app_id = path
        .strip_prefix("/me/applications/")
        .unwrap_or_else(|| panic!("the confirmation led to {path}"))
        .to_string();
    album
        .page(
            &chrome,
            "revoke.04",
            "确认注销后：待审核，注销原因记入申请",
            &["证书注销", "待审核", "注销原因"],
        )
        .await;

    backoffice::approve(
        &platform,
        &mut album,
        "revoke.05",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台打开注销申请：证书与注销原因",
            reads: &["注销申请", "keyCompromise"],
            approved: "审核通过：证书随即注销，申请人收到短信通知",
        },
    )
    .await;
    let (chain, issuing) = platform.ca_files().await;
    let answer = openssl::ocsp_by_serial(
        &issuing,
        &chain,
        &format!("{}/pki/ocsp", platform.base),
        &openssl::serial_of(&cert),
    );
    assert!(
        answer.contains(": revoked") && answer.contains("keyCompromise"),
        "{answer}"
    );
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("已完成").await;
    album
        .page(
            &chrome,
            "revoke.06",
            "审核通过即注销：已完成，CRL 与 OCSP 已更新",
            &["已完成", "证书已注销"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}
