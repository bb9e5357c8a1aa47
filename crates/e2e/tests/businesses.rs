//! The 自助服务 businesses beyond the manual's 证书变更, each walked in headless
//! Chromium against the real `certhall serve`, with the assistant on a
//! SoftHSM2 token where a key is written. Screenshots go to
//! `target/e2e/<business>/` (read back with Tesseract), one per screen.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::album::Album;
use e2e::backoffice;
use e2e::bins;
use e2e::chrome::Chrome;
use e2e::desk::Desk;
use e2e::platform::Platform;
use e2e::portal;
use e2e::usb::{Assistant, PIN, Usb};
use testkit::Backend;
use testkit::openssl::{self, KeyKind};
use testkit::softskf::Keys;

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
/// Then 证书注销 of the renewed certificate, all in the window (it belongs to
/// this account now): reason, SMS code, the box that says it cannot be
/// undone; a reviewer approves and OCSP says revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_then_revoke_in_the_window_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let (usb, old, assistant) = holder(&platform, &["--days", "30"]).await;
    let conf = usb.conf.clone();
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("renew", "renew", "在线延期");

    // The business page.
    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    let signed_in = Instant::now();
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

    // The assistant's window, left open as a holder leaves it: the PIN, 办事大厅
    // (在线延期 open to this key, no reason under it), 在线延期.
    let (mut desk, hall) = Desk::open_signed_in(&assistant, &conf, "renew").await;
    std::fs::copy(&hall, album.file("renew.02")).unwrap();
    album.add(
        "renew.02",
        "证书助手的办事大厅：点击在线延期",
        &["办事大厅", "在线延期"],
    );
    desk.click("在线延期").await;
    desk.shot("form-opened", &["已在浏览器中打开基本信息表单"])
        .await;
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

    // Approved: 在线延期 again in the window writes the renewed certificate
    // into the key.
    desk.click("在线延期").await;
    desk.shot("written", &["在线延期已完成"]).await;
    desk.click("我的证书").await;
    let keys = desk.shot("new-certificate", &["证书介质", ORG]).await;
    drop(desk);
    std::fs::copy(&keys, album.file("renew.13")).unwrap();
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

    revoke_in_the_window(
        &platform, &assistant, &conf, &chrome, &mut album, signed_in, &renewed,
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

    // 证书注销 in the window: a certificate issued at the counter has no
    // account to text, so 在浏览器中办理 proves the key and opens the
    // portal's form, where the holder signs in.
    let (mut desk, _) = Desk::open_signed_in(&assistant, &conf, "revoke-counter").await;
    desk.click("证书注销").await;
    desk.shot("revoke-page", &["注销原因", "确认注销", "在浏览器中办理"])
        .await;
    desk.click("在浏览器中办理").await;
    desk.shot("form-opened", &["已在浏览器中打开证书注销表单"])
        .await;
    drop(desk);
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

/// 证书注销 of the certificate in the key, in the window alone: 办事大厅 ›
/// 证书注销, a reason, 发送短信验证码 (a minute after the sign-in code, as the
/// platform sends at most one a minute to a number), the code typed, the box
/// ticked, 确认注销; the reviewer approves and OCSP says revoked.
async fn revoke_in_the_window(
    platform: &Platform,
    assistant: &Assistant,
    conf: &Path,
    chrome: &Chrome,
    album: &mut Album,
    signed_in: Instant,
    cert: &Path,
) {
    let (mut desk, _) = Desk::open_signed_in(assistant, conf, "revoke").await;
    desk.click("证书注销").await;
    desk.shot("page", &["注销原因", "确认注销", "不可恢复"])
        .await;
    desk.click("不再使用").await;
    desk.click("确认注销").await;
    desk.shot("no-code", &["请输入短信验证码"]).await;
    if let Some(wait) = Duration::from_secs(61).checked_sub(signed_in.elapsed()) {
        tokio::time::sleep(wait).await;
    }
    desk.click("发送短信验证码").await;
    desk.shot("code-sent", &["短信验证码已发送至"]).await;
    desk.type_text(&platform.sms_code(MOBILE), &[]);
    desk.click("我已知晓注销后不可恢复").await;
    let filled = desk.shot("filled", &["确认注销"]).await;
    std::fs::copy(&filled, album.file("renew.15")).unwrap();
    album.add(
        "renew.15",
        "证书助手 › 办事大厅 › 证书注销：选择原因，填写短信验证码，勾选不可恢复",
        &["注销原因", "确认注销"],
    );
    desk.click("确认注销").await;
    desk.shot("submitted", &["注销申请已提交", "待审核"]).await;
    drop(desk);

    chrome.goto("/me").await;
    chrome.wait_text("证书注销").await;
    let app_id = chrome
        .id_of("table.applications tbody tr", "证书注销")
        .await
        .trim_start_matches("app-")
        .to_string();
    backoffice::approve_as(
        platform,
        album,
        "renew.16",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台打开证书助手提交的注销申请",
            reads: &["注销申请", "cessationOfOperation"],
            approved: "审核通过：证书随即注销，申请人收到短信通知",
        },
        "zhao",
    )
    .await;
    let (chain, issuing) = platform.ca_files().await;
    let answer = openssl::ocsp_by_serial(
        &issuing,
        &chain,
        &format!("{}/pki/ocsp", platform.base),
        &openssl::serial_of(cert),
    );
    assert!(
        answer.contains(": revoked") && answer.contains("cessationOfOperation"),
        "{answer}"
    );
}

/// A blank PDF named `name` under the platform's directory, to upload.
fn pdf(platform: &Platform, name: &str) -> PathBuf {
    let file = platform.path(name);
    std::fs::write(
        &file,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
          2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
          trailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    file
}

/// The 写入码 on the page the holder is on, and the serial the assistant
/// wrote with it into `usb`.
async fn pick_up(chrome: &Chrome, assistant: &Assistant, usb: &Usb, business: &str) -> String {
    let code = chrome.find("#pickup-code").await.text().await.unwrap();
    // The blank key in, the window open: 办事大厅 › the business, the code,
    // 写入证书, the PIN it then asks for; the write goes on by itself.
    let mut desk = Desk::open(assistant, &usb.conf, business).await;
    desk.click("办事大厅").await;
    desk.click(if business == "new" {
        "在线新办"
    } else {
        "在线补办"
    })
    .await;
    desk.shot("code", &["写入码"]).await;
    desk.type_text(code.trim(), &["Return"]);
    desk.shot("pin-asked", &["登录后将继续办理证书写入"]).await;
    desk.type_text(PIN, &["Return"]);
    desk.shot("written", &["业务办理完成"]).await;
    drop(desk);
    e2e::usb::written_serial(usb)
}

/// 在线新办 of a 机构证书 on the holder's own blank key (two years at ¥300.00,
/// 授权委托书 since the 经办人 is not the 法定代表人), then 在线补办 of that
/// certificate when the key is lost: the old certificate is revoked on
/// approval (keyCompromise) and the same subject and end date go onto a new
/// key. Shots in target/e2e/new/ and target/e2e/reissue/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_and_reissue_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let home = platform.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let assistant = Assistant {
        bin: bins::assistant(),
        home,
        server: platform.base.clone(),
    };
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("new", "new", "在线新办");

    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    chrome.goto("/selfservice").await;
    chrome.click("#entry-new").await;
    chrome.wait_text("办理机构证书").await;
    album
        .page(
            &chrome,
            "new.01",
            "自助服务 › 在线新办：选择机构证书或个人证书",
            &["在线新办", "机构证书或个人证书"],
        )
        .await;
    chrome.click("#new-enterprise").await;
    chrome.wait_text("证书有效期").await;
    let path = chrome.path().await;
    let app_id = path.split('/').nth(2).unwrap().to_string();
    chrome.fill("#organization", ORG).await;
    chrome.fill("#credit_code", CREDIT_CODE).await;
    chrome.fill("#common_name", "张三").await;
    chrome.click("#years-2").await;
    chrome.click("#medium-own").await;
    album
        .page(
            &chrome,
            "new.02",
            "证书信息、有效期（每年 300 元）与领取方式",
            &["证书信息", "600.00", "领取方式"],
        )
        .await;
    chrome.click("#save-form").await;
    chrome.wait_text("上传资料").await;
    let (license, agent, letter) = (
        pdf(&platform, "营业执照.pdf"),
        pdf(&platform, "经办人身份证.pdf"),
        pdf(&platform, "授权委托书.pdf"),
    );
    portal::upload_materials(
        &chrome,
        &[
            ("business_license", &license),
            ("agent_id", &agent),
            ("authorization", &letter),
        ],
    )
    .await;
    album
        .page(
            &chrome,
            "new.03",
            "上传营业执照、经办人身份证与授权委托书",
            &["上传资料", "授权委托书"],
        )
        .await;
    chrome.click("#next").await;
    chrome.wait_text("支付中心").await;
    let buyer = portal::Buyer {
        title: ORG,
        tax_id: CREDIT_CODE,
        email: "finance@example.com",
    };
    portal::pay_with_alipay(
        &chrome,
        &mut album,
        [
            ("new.04", "填写电子发票信息"),
            ("new.05", "勾选协议后提交并支付"),
            ("new.06", "选择支付方式"),
            ("new.07", "支付宝收银台（沙箱网关）：确认付款"),
            ("new.08", "支付成功，附电子发票"),
        ],
        &buyer,
        "600.00",
    )
    .await;
    backoffice::approve(
        &platform,
        &mut album,
        "new.09",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台核对申请信息与材料",
            reads: &["申请信息", "授权委托书"],
            approved: "审核通过：申请人收到短信，到个人中心获取写入码",
        },
    )
    .await;
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("获取证书写入码").await;
    album
        .page(
            &chrome,
            "new.10",
            "个人中心：审核通过，获取证书写入码",
            &["审核通过", "领取方式", "证书介质"],
        )
        .await;
    chrome.click("#get-code").await;
    chrome.wait_text("certhall-assistant").await;
    album
        .page(
            &chrome,
            "new.11",
            "写入码仅显示一次：插入空白 U 盾，用证书助手写入",
            &["证书写入码", "pickup"],
        )
        .await;
    let own = Usb::new("own-key");
    let serial = pick_up(&chrome, &assistant, &own, "new").await;
    assistant
        .window(&own.conf, "keys", &album.file("new.12"), &["证书介质", ORG])
        .await;
    album.add(
        "new.12",
        "证书写入自有 U 盾：证书助手列出新证书",
        &["证书介质", ORG],
    );
    chrome.goto("/me").await;
    chrome.wait_text("已完成").await;
    album
        .page(
            &chrome,
            "new.13",
            "个人中心：在线新办已完成，我的证书列出新证书",
            &["已完成", "我的证书"],
        )
        .await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());

    // The key is lost: 在线补办 from 我的证书.
    let mut album = Album::new("reissue", "reissue", "在线补办");
    chrome.click(&format!("#reissue-{serial}")).await;
    chrome.wait_text("原 U 盾的情况").await;
    let path = chrome.path().await;
    let app_id = path.split('/').nth(2).unwrap().to_string();
    chrome.click("#reason-keyCompromise").await;
    chrome.click("#medium-own").await;
    chrome.click("#agent_is_representative").await;
    album
        .page(
            &chrome,
            "reissue.01",
            "在线补办：当前证书，原 U 盾丢失（密钥泄露），自有证书介质",
            &["在线补办", "原 U 盾的情况", "丢失"],
        )
        .await;
    chrome.click("#save-form").await;
    chrome.wait_text("上传资料").await;
    portal::upload_materials(
        &chrome,
        &[("business_license", &license), ("agent_id", &agent)],
    )
    .await;
    album
        .page(
            &chrome,
            "reissue.02",
            "经办人为法定代表人：上传营业执照与经办人身份证",
            &["上传资料", "经办人身份证"],
        )
        .await;
    chrome.click("#next").await;
    chrome.wait_text("支付中心").await;
    portal::pay_with_alipay(
        &chrome,
        &mut album,
        [
            ("reissue.03", "填写电子发票信息"),
            ("reissue.04", "勾选协议后提交并支付"),
            ("reissue.05", "选择支付方式"),
            ("reissue.06", "支付宝收银台（沙箱网关）：确认付款"),
            ("reissue.07", "支付成功，附电子发票"),
        ],
        &buyer,
        "100.00",
    )
    .await;
    backoffice::approve_as(
        &platform,
        &mut album,
        "reissue.08",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台打开补办申请：信息与有效期不变，原证书将吊销",
            reads: &["补办前后对比", "密钥泄露"],
            approved: "审核通过：原证书随即吊销",
        },
        "li",
    )
    .await;
    let (chain, issuing) = platform.ca_files().await;
    let ocsp_url = format!("{}/pki/ocsp", platform.base);
    let answer = openssl::ocsp_by_serial(&issuing, &chain, &ocsp_url, &serial);
    assert!(
        answer.contains(": revoked") && answer.contains("keyCompromise"),
        "{answer}"
    );
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("获取证书写入码").await;
    chrome.click("#get-code").await;
    chrome.wait_text("certhall-assistant").await;
    album
        .page(
            &chrome,
            "reissue.09",
            "获取写入码，写入新的 U 盾",
            &["证书写入码", "pickup"],
        )
        .await;
    let new_key = Usb::new("new-key");
    let new_serial = pick_up(&chrome, &assistant, &new_key, "reissue").await;
    assert_ne!(new_serial, serial);
    assert!(openssl::ocsp_by_serial(&issuing, &chain, &ocsp_url, &new_serial).contains(": good"));
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("已完成").await;
    album
        .page(
            &chrome,
            "reissue.10",
            "在线补办已完成：原证书已吊销，新证书已写入新 U 盾",
            &["已完成", "已吊销", "已写入证书介质"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}

/// 在线新办 under an SM2 CA on the holder's own 国密 U 盾 (softskf, its
/// vendor library installed with the assistant): the window writes an SM2
/// signing key pair made inside the key, and with its certificate the
/// encryption key pair the KMC made and escrowed (双证书), both in the key's
/// one container. OpenSSL verifies both certificates link by link; a
/// message `openssl pkeyutl -encrypt` encrypts to the encryption
/// certificate is decrypted inside the key (SKF_ECCPrvKeyDecrypt). Shots in
/// target/e2e/new-sm2/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_sm2_on_an_skf_key_on_sqlite() {
    let platform = Platform::start_with(Backend::Sqlite, None, "sm2").await;
    let home = platform.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let assistant = Assistant {
        bin: bins::assistant(),
        home,
        server: platform.base.clone(),
    };
    assistant.install_skf_library(&testkit::softskf::library());
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("new-sm2", "new-sm2", "在线新办：SM2 双证书写入国密 U 盾");

    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    chrome.goto("/selfservice").await;
    chrome.click("#entry-new").await;
    chrome.wait_text("办理机构证书").await;
    chrome.click("#new-enterprise").await;
    chrome.wait_text("证书有效期").await;
    let path = chrome.path().await;
    let app_id = path.split('/').nth(2).unwrap().to_string();
    chrome.fill("#organization", ORG).await;
    chrome.fill("#credit_code", CREDIT_CODE).await;
    chrome.fill("#common_name", "张三").await;
    chrome.click("#years-2").await;
    chrome.click("#medium-own").await;
    album
        .page(
            &chrome,
            "new-sm2.01",
            "在线新办（SM2 CA）：证书信息、有效期与领取方式",
            &["证书信息", "领取方式"],
        )
        .await;
    chrome.click("#save-form").await;
    chrome.wait_text("上传资料").await;
    let (license, agent, letter) = (
        pdf(&platform, "营业执照.pdf"),
        pdf(&platform, "经办人身份证.pdf"),
        pdf(&platform, "授权委托书.pdf"),
    );
    portal::upload_materials(
        &chrome,
        &[
            ("business_license", &license),
            ("agent_id", &agent),
            ("authorization", &letter),
        ],
    )
    .await;
    chrome.click("#next").await;
    chrome.wait_text("支付中心").await;
    portal::pay_with_alipay(
        &chrome,
        &mut album,
        [
            ("new-sm2.02", "填写电子发票信息"),
            ("new-sm2.03", "勾选协议后提交并支付"),
            ("new-sm2.04", "选择支付方式"),
            ("new-sm2.05", "支付宝收银台（沙箱网关）：确认付款"),
            ("new-sm2.06", "支付成功，附电子发票"),
        ],
        &portal::Buyer {
            title: ORG,
            tax_id: CREDIT_CODE,
            email: "finance@example.com",
        },
        "600.00",
    )
    .await;
    backoffice::approve(
        &platform,
        &mut album,
        "new-sm2.07",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台核对申请信息与材料",
            reads: &["申请信息", "授权委托书"],
            approved: "审核通过：申请人收到短信，到个人中心获取写入码",
        },
    )
    .await;
    chrome.goto(&format!("/me/applications/{app_id}")).await;
    chrome.wait_text("获取证书写入码").await;
    chrome.click("#get-code").await;
    chrome.wait_text("certhall-assistant").await;
    album
        .page(
            &chrome,
            "new-sm2.08",
            "写入码仅显示一次：插入国密 U 盾，用证书助手写入",
            &["证书写入码", "pickup"],
        )
        .await;

    // The holder's own 国密 U 盾 in (no PKCS#11 token at all).
    let ports = Keys::at(&assistant.usb_ports());
    ports.plug("own-key", "SKF-E2E-NEW-0001");
    let reader = Usb::empty();
    let code = chrome.find("#pickup-code").await.text().await.unwrap();
    let mut desk = Desk::open(&assistant, &reader.conf, "new-sm2").await;
    desk.click("办事大厅").await;
    desk.click("在线新办").await;
    desk.shot("code", &["写入码"]).await;
    desk.type_text(code.trim(), &["Return"]);
    desk.shot("pin-asked", &["登录后将继续办理证书写入"]).await;
    desk.type_text(PIN, &["Return"]);
    desk.shot("written", &["加密证书", "业务办理完成"]).await;
    desk.click("我的证书").await;
    desk.shot("both-certificates", &["加密证书", "双证书"])
        .await;
    drop(desk);

    // One container: the signing pair and certificate, the encryption pair
    // and certificate.
    let contents = ports.contents("own-key");
    assert_eq!(contents.containers.len(), 1, "{contents:?}");
    let container = &contents.containers[0];
    assert!(
        container.has_sign_key && container.has_enc_key,
        "{contents:?}"
    );
    let pem_of = |name: &str, der: &[u8]| {
        let der_path = platform.path(&format!("{name}.der"));
        std::fs::write(&der_path, der).unwrap();
        let pem = platform.path(&format!("{name}.pem"));
        openssl::der_to_pem(&der_path, &pem);
        pem
    };
    let signing = pem_of(
        "signing",
        container.sign_cert.as_ref().expect("signing certificate"),
    );
    let encryption = pem_of(
        "encryption",
        container.enc_cert.as_ref().expect("encryption certificate"),
    );
    platform.verify_sm2(&signing).await;
    platform.verify_sm2(&encryption).await;
    let text = |pem: &Path| openssl::ok(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-text"]);
    let (signing_text, encryption_text) = (text(&signing), text(&encryption));
    assert!(
        signing_text.contains("Digital Signature, Non Repudiation"),
        "{signing_text}"
    );
    assert!(
        encryption_text.contains("Key Encipherment, Data Encipherment, Key Agreement"),
        "{encryption_text}"
    );
    assert!(openssl::subject_utf8(&encryption).contains(ORG));
    assert_ne!(
        openssl::serial_of(&signing),
        openssl::serial_of(&encryption)
    );

    // A message to the encryption certificate, opened inside the key.
    let public = platform.path("encryption-public.pem");
    openssl::ok(&[
        "x509",
        "-in",
        encryption.to_str().unwrap(),
        "-noout",
        "-pubkey",
        "-out",
        public.to_str().unwrap(),
    ]);
    let message = platform.path("投标文件.txt");
    std::fs::write(&message, "第 3 标段投标报价：壹佰贰拾万元整").unwrap();
    let cipher = platform.path("投标文件.sm2");
    openssl::ok(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        public.to_str().unwrap(),
        "-in",
        message.to_str().unwrap(),
        "-out",
        cipher.to_str().unwrap(),
    ]);
    let opened = assistant
        .ok(&reader.conf, &["decrypt", "--in", cipher.to_str().unwrap()])
        .await;
    assert!(
        opened.contains("第 3 标段投标报价：壹佰贰拾万元整"),
        "{opened}"
    );
    let listed = assistant.ok(&reader.conf, &["status"]).await;
    assert!(
        listed.contains(&format!(
            "加密证书：序列号 {}",
            openssl::serial_of(&encryption)
        )),
        "{listed}"
    );

    chrome.goto("/me").await;
    chrome.wait_text("已完成").await;
    album
        .page(
            &chrome,
            "new-sm2.09",
            "个人中心：在线新办已完成",
            &["已完成", "我的证书"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}

/// 签章变更 from the assistant: the new seal (a transparent PNG made with
/// ImageMagick) and the 采样表 uploaded, the seal previewed over a sample
/// document, ¥50.00 paid with 支付宝, the desk comparing old and new seal, the
/// assistant writing the seal into the key, 个人中心 showing it. Shots in
/// target/e2e/seal/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let (usb, _cert, assistant) = holder(&platform, &[]).await;
    let conf = usb.conf.clone();
    let seal = platform.path("新印章.png");
    let made = std::process::Command::new("convert")
        .args([
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
            "-fill",
            "#c0392b",
            "-stroke",
            "none",
            "-draw",
            "polygon 150,95 163,135 205,135 171,160 184,200 150,175 116,200 129,160 95,135 137,135",
        ])
        .arg(format!("PNG32:{}", seal.display()))
        .status()
        .expect("ImageMagick's convert runs");
    assert!(made.success());
    let sample = pdf(&platform, "电子印章采样表.pdf");
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("seal", "seal", "签章变更");

    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    chrome.goto("/selfservice/seal").await;
    chrome.wait_text("打开证书助手").await;
    album
        .page(
            &chrome,
            "seal.01",
            "自助服务 › 签章变更：在证书助手或我的证书中发起",
            &["签章变更", "打开证书助手"],
        )
        .await;
    // 签章变更 in the window (left open until the seal is written).
    let (mut desk, _) = Desk::open_signed_in(&assistant, &conf, "seal").await;
    desk.click("签章变更").await;
    desk.shot("form-opened", &["已在浏览器中打开签章变更表单"])
        .await;
    chrome.goto(&assistant.opened().await).await;
    chrome.wait_text("当前印章").await;
    let path = chrome.path().await;
    let app_id = path.split('/').nth(2).unwrap().to_string();
    album
        .page(
            &chrome,
            "seal.02",
            "签章变更：当前证书与当前印章（尚未登记）",
            &["签章变更", "当前印章"],
        )
        .await;
    chrome.click("#save-form").await;
    chrome.wait_text("上传资料").await;
    portal::upload_materials(
        &chrome,
        &[("seal_image", &seal), ("seal_sample_form", &sample)],
    )
    .await;
    chrome.find("#seal-preview img.stamp").await;
    album
        .page(
            &chrome,
            "seal.03",
            "上传透明背景的 PNG 印章与采样表：盖章效果预览",
            &["电子文件签署样张", "电子印章采样表"],
        )
        .await;
    chrome.click("#next").await;
    chrome.wait_text("支付中心").await;
    portal::pay_with_alipay(
        &chrome,
        &mut album,
        [
            ("seal.04", "填写电子发票信息"),
            ("seal.05", "勾选协议后提交并支付"),
            ("seal.06", "选择支付方式"),
            ("seal.07", "支付宝收银台（沙箱网关）：确认付款"),
            ("seal.08", "支付成功，附电子发票"),
        ],
        &portal::Buyer {
            title: ORG,
            tax_id: CREDIT_CODE,
            email: "finance@example.com",
        },
        "50.00",
    )
    .await;
    backoffice::approve(
        &platform,
        &mut album,
        "seal.09",
        &app_id,
        &backoffice::Desk {
            caption: "工作人员在后台对比原印章与新印章",
            reads: &["印章对比", "新印章"],
            approved: "审核通过：申请人回到证书助手写入新印章",
        },
    )
    .await;
    desk.click("签章变更").await;
    desk.shot("written", &["签章变更已完成"]).await;
    // 我的证书 shows the seal now in the key under its certificate.
    desk.click("我的证书").await;
    desk.shot("seal-shown", &["电子印章", "序列号"]).await;
    drop(desk);
    assert!(usb.objects().contains("certhall-seal 01"));
    chrome.goto("/me").await;
    chrome.wait_text("已完成").await;
    chrome.find("#certificates img.seal").await;
    album
        .page(
            &chrome,
            "seal.10",
            "个人中心：签章变更已完成，我的证书显示当前印章",
            &["已完成", "电子印章"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}

/// 找回密码 started in 个人中心 for the key reserved for the holder's mobile
/// (escrowed by the CA's operator), finished in the assistant with a code sent
/// to that mobile and a new PIN; 个人中心 shows it done. Shots in
/// target/e2e/unlock/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_on_sqlite() {
    let platform = Platform::start(Backend::Sqlite, None).await;
    let (usb, _cert, assistant) = holder(&platform, &[]).await;
    let conf = usb.conf.clone();
    let serial = usb.serial();
    platform
        .cli_stdin(
            &["token", "escrow", "--serial", &serial, "--mobile", MOBILE],
            &format!("{}\n", testkit::softhsm::SO_PIN),
        )
        .await;
    let chrome = Chrome::start(&platform.base).await;
    let mut album = Album::new("unlock", "unlock", "找回密码");

    portal::sign_in(&chrome, &platform, MOBILE, MOBILE_SHOWN).await;
    let signed_in = Instant::now();
    chrome.goto("/selfservice/unlock").await;
    chrome.wait_text("预留手机").await;
    album
        .page(
            &chrome,
            "unlock.01",
            "自助服务 › 找回密码：在个人中心或证书助手中发起",
            &["找回密码", "预留手机"],
        )
        .await;
    chrome.click("#my-tokens").await;
    chrome.wait_text("我的证书介质").await;
    album
        .page(
            &chrome,
            "unlock.02",
            "个人中心 › 我的证书介质：预留本手机号的 U 盾",
            // (Not the serial: random hex, which Tesseract may misread.)
            &["我的证书介质", "介质序列号", "预留手机"],
        )
        .await;
    chrome.click(&format!("#unlock-{serial}")).await;
    chrome.wait_text("已批准").await;
    album
        .page(
            &chrome,
            "unlock.03",
            "已批准：插入 U 盾，在证书助手中完成",
            &["证书助手中点击", "介质序列号"],
        )
        .await;

    // The assistant: a code to the reserved mobile (a minute after the
    // sign-in code), then the new PIN.
    if let Some(wait) = Duration::from_secs(61).checked_sub(signed_in.elapsed()) {
        tokio::time::sleep(wait).await;
    }
    // 找回密码 needs no PIN: 办事大厅 › 找回密码, the code, a wrong code
    // first, then the right one with the new PIN twice.
    let mut desk = Desk::open(&assistant, &conf, "unlock").await;
    desk.shot("key", &["证书介质", "登录"]).await;
    // The PIN forgotten: a wrong one is answered as such.
    desk.type_text("000000", &["Return"]);
    desk.shot("wrong-pin", &["PIN不正确"]).await;
    desk.click("办事大厅").await;
    desk.click("找回密码").await;
    desk.click("发送短信验证码").await;
    desk.shot("code-sent", &["验证码已发送"]).await;
    desk.type_text("000000", &["Tab"]);
    desk.type_text("654321", &["Tab"]);
    desk.type_text("654321", &["Return"]);
    desk.shot("wrong-code", &["验证码不正确"]).await;
    let code = platform.sms_code(MOBILE);
    desk.type_text(&code, &["Tab"]);
    desk.type_text("654321", &["Tab"]);
    desk.type_text("654321", &["Return"]);
    desk.shot("reset", &["PIN已重置"]).await;
    drop(desk);
    let new_pin = assistant
        .run(&conf, &["status", "--online"], "654321\n")
        .await;
    assert!(new_pin.status.success(), "{}", e2e::usb::said(&new_pin));

    // (Not /me#tokens: the browser is there, and a change of fragment alone
    // does not reload the page.)
    chrome.goto("/me").await;
    chrome.wait_text("最近一次找回密码").await;
    album
        .page(
            &chrome,
            "unlock.04",
            "找回密码已完成：个人中心记录最近一次找回时间",
            &["已完成", "最近一次找回密码"],
        )
        .await;
    chrome.quit().await;
    let index = album.finish().await;
    eprintln!("screenshots: {}", index.display());
}
