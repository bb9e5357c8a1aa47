//! The operation manual of 证书变更 (../shared/seed/), screen by screen, in
//! headless Chromium against the real `certhall serve`, with the certificate
//! assistant the holder downloads from the portal, on a SoftHSM2 token as the
//! USB key. Chapter 二 (paid) runs on SQLite and PostgreSQL, chapter 三 (free)
//! on SQLite. Chapter 二 runs once more under an SM2 CA with a software SKF key
//! (softskf, GM/T 0016) as the holder's 国密 U 盾, its shots under
//! `target/e2e/sm2/`. Every figure is shot to `target/e2e/fig-<figure>.png` and
//! read back with Tesseract; `target/e2e/index.html` pages through them.
//!
//! The manual numbers two of chapter 三's figures twice (3.9 and 3.10 for steps
//! 九/十 and again for 十一/十二); here those last two are 3.11 and 3.12. Shots
//! between figures (the cashier, the back office) carry a letter: 2.13a.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::path::{Path, PathBuf};

use e2e::album::Album;
use e2e::backoffice;
use e2e::chrome::Chrome;
use e2e::desk::Desk;
use e2e::platform::Platform;
use e2e::portal;
use e2e::usb::{Assistant, Usb};
use testkit::Backend;
use testkit::openssl::{self, KeyKind};
use testkit::softskf::Keys;

const MOBILE: &str = "13955100001";
/// How the header shows the signed-in mobile.
const MOBILE_SHOWN: &str = "139****0001";
const OLD_ORG: &str = "合肥旧名科技有限公司";
const NEW_ORG: &str = "合肥新名科技有限公司";
const CREDIT_CODE: &str = "91110108551385082Q";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chapter_2_paid_change_on_sqlite() {
    paid(Backend::Sqlite, "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chapter_2_paid_change_on_postgresql() {
    paid(Backend::Postgres, "postgresql").await;
}

/// Chapter 二 with SM2: the CA signs SM3withSM2, the holder's key is an SKF
/// key (its vendor library listed in the assistant's settings), the new key
/// pair is SM2, made inside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chapter_2_paid_change_sm2_on_an_skf_key() {
    paid(Backend::Sqlite, "sm2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chapter_3_free_change_on_sqlite() {
    let mut w = Walk::start(Backend::Sqlite, "", 3, None).await;
    w.walk_to_materials().await;
    // (十) 下一步: 申请成功，等待审核.
    w.chrome.click("#next").await;
    w.chrome.wait_text("申请成功，等待审核").await;
    w.shot(
        10,
        "点击下一步，提示申请成功，等待审核",
        &["申请成功，等待审核"],
    )
    .await;
    w.me(11, "待审核").await;
    w.review_and_complete(12).await;
    w.finish().await;
}

/// Chapter 二: 证书变更 at ¥100.00, paid with 支付宝 in the sandbox cashier.
async fn paid(backend: Backend, sub: &str) {
    let mut w = Walk::start(backend, sub, 2, Some("100")).await;
    w.walk_to_materials().await;
    // (十) 下一步 opens the payment centre's order page.
    w.chrome.click("#next").await;
    w.chrome.wait_text("支付中心").await;
    let order = w.chrome.path().await;
    w.shot(
        10,
        "点击下一步，打开支付中心的订单页",
        &["支付中心", "100.00"],
    )
    .await;
    // (十一)–(十四) 电子发票, the agreements, 支付宝 at the cashier, 支付成功
    // with the e-invoice.
    portal::pay_with_alipay(
        &w.chrome,
        &mut w.album,
        [
            ("2.11", "点击电子发票按钮，填写电子发票信息"),
            (
                "2.12",
                "保存后勾选《在线缴费协议》《电子认证证书服务条款》，点击提交并支付（或修改发票信息）",
            ),
            ("2.13", "订单支付页面，选择一种方式支付"),
            ("2.13a", "支付宝收银台（沙箱网关）：确认付款"),
            ("2.14", "支付成功后，电脑端页面跳转到成功页面，附电子发票"),
        ],
        &portal::Buyer {
            title: NEW_ORG,
            tax_id: CREDIT_CODE,
            email: "finance@example.com",
        },
        "100.00",
    )
    .await;
    w.chrome.click("#invoice-pdf").await;
    let pdf = w.chrome.downloaded(|n| n.ends_with(".pdf")).await;
    check_invoice(&pdf);
    // The order page links it too.
    w.chrome.goto(&order).await;
    w.chrome.find("#invoice-pdf").await;
    w.me(15, "待审核").await;
    w.review_and_complete(16).await;
    w.finish().await;
}

/// The e-invoice the browser downloaded is a PDF for the company and amount.
fn check_invoice(pdf: &Path) {
    let bytes = std::fs::read(pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF: {}", pdf.display());
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is installed (scripts/test installs poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    for words in [NEW_ORG, CREDIT_CODE, "100.00"] {
        assert!(text.contains(words), "the invoice lacks {words}:\n{text}");
    }
}

/// One walk through a chapter.
struct Walk {
    platform: Platform,
    chrome: Chrome,
    album: Album,
    /// The SoftHSM2 token (for the SM2 walk: a reader with none in it).
    usb: Usb,
    /// The SM2 walk: the holder's key pair and certificate from the counter,
    /// for the SKF key plugged in at (六).
    skf: Option<(PathBuf, Vec<u8>)>,
    assistant: Option<Assistant>,
    /// The assistant's window, open from 办事大厅 (七) to the final write.
    desk: Option<Desk>,
    /// Where the window's shots go: `target/e2e/assistant/<this>/`.
    business: String,
    chapter: u8,
    app_id: String,
    old_serial: String,
    files: PathBuf,
}

impl Walk {
    /// The platform, a holder whose USB key carries a certificate for the old
    /// name (issued at the counter), and a browser.
    async fn start(backend: Backend, sub: &str, chapter: u8, price: Option<&str>) -> Walk {
        let sm2 = sub == "sm2";
        let platform = if sm2 {
            Platform::start_with(backend, price, "sm2").await
        } else {
            Platform::start(backend, price).await
        };
        let kind = if sm2 { KeyKind::Sm2 } else { KeyKind::P256 };
        let (key, csr) = openssl::key_and_csr(platform.dir.path(), "holder", kind);
        let pem = platform
            .cli_ok(&[
                "ca",
                "issue",
                "--csr",
                csr.to_str().unwrap(),
                "--profile",
                "enterprise",
                "--cn",
                "张三",
                "--org",
                OLD_ORG,
                "--credit-code",
                CREDIT_CODE,
            ])
            .await;
        let cert = platform.path("holder.pem");
        std::fs::write(&cert, pem).unwrap();
        let (usb, skf) = if sm2 {
            let der = platform.path("holder.der");
            openssl::ok(&[
                "x509",
                "-in",
                cert.to_str().unwrap(),
                "-outform",
                "DER",
                "-out",
                der.to_str().unwrap(),
            ]);
            (Usb::empty(), Some((key, std::fs::read(&der).unwrap())))
        } else {
            let usb = Usb::new("holder-key");
            usb.import(&key, &cert);
            (usb, None)
        };
        let title = match (chapter, backend) {
            (2, _) if sm2 => "二、证书变更流程（付费），SM2 与国密 U 盾（SKF）",
            (2, Backend::Sqlite) => "二、证书变更流程（付费）",
            (2, Backend::Postgres) => "二、证书变更流程（付费），PostgreSQL",
            _ => "三、证书变更流程（免费）",
        };
        let files = platform.path("files");
        std::fs::create_dir_all(&files).unwrap();
        Walk {
            chrome: Chrome::start(&platform.base).await,
            album: Album::new(sub, &chapter.to_string(), title),
            old_serial: openssl::serial_of(&cert),
            platform,
            usb,
            skf,
            assistant: None,
            desk: None,
            business: match (chapter, sub) {
                (3, _) => "change-free".to_string(),
                (_, "") => "change".to_string(),
                (_, sub) => format!("change-{sub}"),
            },
            chapter,
            app_id: String::new(),
            files,
        }
    }

    fn figure(&self, step: u8) -> String {
        format!("{}.{step:02}", self.chapter)
    }

    async fn shot(&mut self, step: u8, caption: &str, reads: &[&str]) {
        let figure = self.figure(step);
        self.shot_as(&figure, caption, reads).await;
    }

    async fn shot_as(&mut self, figure: &str, caption: &str, reads: &[&str]) {
        self.album.page(&self.chrome, figure, caption, reads).await;
    }

    fn assistant(&self) -> &Assistant {
        self.assistant.as_ref().expect("the assistant is installed")
    }

    /// The assistant's window on `page`, shot as figure `step`.
    async fn window(&mut self, step: u8, conf: &Path, page: &str, caption: &str, reads: &[&str]) {
        let figure = self.figure(step);
        let file = self.album.file(&figure);
        self.assistant().window(conf, page, &file, reads).await;
        self.album.add(&figure, caption, reads);
    }

    /// Steps (一) to (九): sign in, 自助服务, 证书变更, 下载并安装, the
    /// assistant with and without the key, 办事大厅, 证书变更 opening 基本信息,
    /// the form and the materials.
    async fn walk_to_materials(&mut self) {
        // (一) Signed in, 自助服务 in the navigation.
        portal::sign_in(&self.chrome, &self.platform, MOBILE, MOBILE_SHOWN).await;
        self.chrome.goto("/").await;
        self.shot(
            1,
            "登录证书网上服务平台后，点击自助服务",
            &["自助服务", "证书网上服务平台"],
        )
        .await;
        // (二) The six entries.
        self.chrome
            .click("nav.main-nav a[href=\"/selfservice\"]")
            .await;
        let entries = [
            "在线新办",
            "在线延期",
            "在线补办",
            "签章变更",
            "找回密码",
            "证书查询与证书变更",
        ];
        self.shot(
            2,
            "在线新办、在线延期、在线补办、签章变更、找回密码、证书查询与证书变更的入口",
            &entries,
        )
        .await;
        // (三) 证书变更: 下载并安装 and 打开证书助手.
        self.chrome.click("#entry-change").await;
        self.chrome.wait_text("下载并安装").await;
        self.shot(
            3,
            "点击证书变更：下载并安装、打开证书助手",
            &["下载并安装", "打开证书助手"],
        )
        .await;
        // (四) 下载并安装: the download, then the install command it shows.
        self.chrome.click("#download-install").await;
        self.chrome.click("#download-assistant").await;
        let file = self
            .chrome
            .downloaded(|n| n.starts_with("certhall-assistant"))
            .await;
        self.shot(4, "下载并安装证书助手", &["下载中心", "数字证书助手"])
            .await;
        self.install(&file).await;
        if self.skf.is_some() {
            // The 国密 U 盾's vendor library, installed with its driver.
            self.assistant()
                .install_skf_library(&testkit::softskf::library());
        }
        // (五) The window opens; no key in yet.
        let unplugged = self.usb.unplugged.clone();
        let none = self.assistant().ok(&unplugged, &["status"]).await;
        assert!(none.contains("未检测到证书介质"), "{none}");
        self.window(
            5,
            &unplugged,
            "keys",
            "安装完成后，弹出数字证书助手（尚未插入 USB Key）",
            &["数字证书助手", "请插入"],
        )
        .await;
        // (六) The key inserted: its certificate.
        if let Some((key, der)) = &self.skf {
            let ports = Keys::at(&self.assistant().usb_ports());
            ports.plug("holder-key", "SKF-E2E-0001");
            ports.import_signing("holder-key", "Sign", key, der);
        }
        let conf = self.usb.conf.clone();
        let status = self.assistant().ok(&conf, &["status"]).await;
        assert!(
            status.contains("holder-key") && status.contains(OLD_ORG),
            "{status}"
        );
        // With the PIN, the platform's word on it: valid, and 在线延期 not yet
        // (a new certificate is a year from its renewal window).
        let online = self.assistant().ok(&conf, &["status", "--online"]).await;
        assert!(
            online.contains("状态：有效") && online.contains("在线延期：暂不可办理"),
            "{online}"
        );
        // A 国密 U 盾 is shown as one (SKF).
        let reads: &[&str] = if self.skf.is_some() {
            &["证书介质", "国密SKF", OLD_ORG]
        } else {
            &["证书介质", OLD_ORG]
        };
        self.window(
            6,
            &conf,
            "keys",
            "插入 U 盾（USB Key）后，助手列出其中的证书",
            reads,
        )
        .await;
        // (七) 办事大厅.
        let hall = self.assistant().ok(&conf, &["hall"]).await;
        assert!(hall.contains("证书变更"), "{hall}");
        if self.chapter == 2 {
            assert!(hall.contains("机构 ¥100.00"), "{hall}");
        }
        // The window, as the holder uses it from here to the end: the PIN,
        // 办事大厅.
        let (mut desk, hall) = Desk::open_signed_in(self.assistant(), &conf, &self.business).await;
        let reads = ["办事大厅", "证书变更", "找回密码", "证书注销"];
        let figure = self.figure(7);
        std::fs::copy(&hall, self.album.file(&figure)).unwrap();
        self.album.add(&figure, "点击办事大厅", &reads);
        // (八) 证书变更 opens 基本信息 in the browser (the holder is signed in).
        desk.click("证书变更").await;
        desk.shot("form-opened", &["已在浏览器中打开基本信息表单"])
            .await;
        self.desk = Some(desk);
        let link = self.assistant().opened().await;
        assert!(link.contains("/handoff/"), "opened {link}");
        self.chrome.goto(&link).await;
        self.chrome.wait_text("基本信息").await;
        let path = self.chrome.path().await;
        self.app_id = path
            .strip_prefix("/apply/")
            .and_then(|p| p.split('/').next())
            .unwrap_or_else(|| panic!("the hand-off led to {path}"))
            .to_string();
        self.shot(
            8,
            "点击证书变更，在浏览器中打开基本信息界面",
            &["变更后的信息", OLD_ORG],
        )
        .await;
        // (九) The new name, then the materials.
        self.chrome.fill("#organization", NEW_ORG).await;
        self.chrome.fill("#credit_code", CREDIT_CODE).await;
        self.chrome.fill("#common_name", "张三").await;
        self.chrome.fill("#contact_mobile", MOBILE).await;
        self.chrome
            .fill("#contact_email", "zhangsan@example.com")
            .await;
        self.chrome.fill("#reason", "单位更名").await;
        self.chrome.click("#save-form").await;
        self.chrome.wait_text("上传资料").await;
        let (license, notice, agent) = (
            self.license_png(),
            self.pdf("名称变更通知书.pdf"),
            self.pdf("经办人身份证.pdf"),
        );
        e2e::portal::upload_materials(
            &self.chrome,
            &[
                ("business_license", &license),
                ("change_notice", &notice),
                ("agent_id", &agent),
            ],
        )
        .await;
        self.shot(
            9,
            "按照提示填写信息，然后上传资料",
            &["上传资料", NEW_ORG, "营业执照.png"],
        )
        .await;
    }

    /// The downloaded file is the build the platform serves; installed as the
    /// download page says, into a fresh home.
    async fn install(&mut self, file: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let served = self.platform.path("certhall-assistant");
        assert_eq!(
            std::fs::read(file).unwrap(),
            std::fs::read(&served).unwrap(),
            "the download is the assistant's build"
        );
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = self.platform.path("home");
        std::fs::create_dir_all(&home).unwrap();
        let out = std::process::Command::new(file)
            .env("HOME", &home)
            .args(["--server", &self.platform.base, "install", "--no-window"])
            .output()
            .unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("已安装"),
            "install: {}",
            e2e::usb::said(&out)
        );
        let bin = home.join(".local/bin/certhall-assistant");
        assert!(bin.is_file(), "installed at {}", bin.display());
        self.assistant = Some(Assistant {
            bin,
            home,
            server: self.platform.base.clone(),
        });
    }

    /// (十五)/(十一) The mobile number at the top right: 个人中心 with the
    /// application's state.
    async fn me(&mut self, step: u8, state: &str) {
        self.chrome.click("header a#account").await;
        self.chrome.wait_text("个人中心").await;
        let row = self
            .chrome
            .find(&format!("#app-{}", self.app_id))
            .await
            .text()
            .await
            .unwrap();
        assert!(row.contains("证书变更") && row.contains(state), "{row}");
        self.shot(
            step,
            "点击右上方的手机号进入个人中心：申请记录与当前办理状态",
            &["个人中心", state],
        )
        .await;
    }

    /// Staff approve in the back office; (十六)/(十二) the assistant's 证书变更
    /// again writes the new certificate; 个人中心 says 已完成; OpenSSL checks
    /// the new certificate and OCSP.
    async fn review_and_complete(&mut self, step: u8) {
        let before = self.figure(step - 1);
        backoffice::approve(
            &self.platform,
            &mut self.album,
            &before,
            &self.app_id,
            &backoffice::Desk {
                caption: "工作人员在后台打开申请：新旧信息对照与上传的资料",
                reads: &["变更前后对比", "营业执照"],
                approved: "审核通过：申请人收到短信通知，回到证书助手完成变更",
            },
        )
        .await;
        // 证书变更 again in the window writes the new certificate.
        let mut desk = self.desk.take().expect("the window is open since 办事大厅");
        desk.click("证书变更").await;
        desk.shot("written", &["证书变更已完成"]).await;
        desk.click("我的证书").await;
        let reads = ["证书介质", NEW_ORG];
        let keys = desk.shot("new-certificate", &reads).await;
        drop(desk);
        let figure = self.figure(step);
        std::fs::copy(&keys, self.album.file(&figure)).unwrap();
        self.album.add(
            &figure,
            "审核通过后，打开数字证书助手再次点击证书变更：新证书已写入 U 盾",
            &reads,
        );
        if self.skf.is_some() {
            self.check_skf_key().await;
        } else {
            let new_serial = e2e::usb::written_serial(&self.usb);
            self.check_token(&new_serial).await;
        }
        self.chrome.goto("/me").await;
        self.chrome.wait_text("已完成").await;
        let figure = format!("{}c", self.figure(step));
        self.shot_as(&figure, "个人中心：证书变更已完成", &["已完成"])
            .await;
    }

    /// The token holds only the new certificate, for the new name, verified
    /// by OpenSSL against the platform's chain; OCSP (asked as a relying party
    /// would) says the old one is revoked as superseded and the new one good.
    async fn check_token(&self, new_serial: &str) {
        let objects = self.usb.objects();
        assert_eq!(
            objects.matches("Certificate Object").count(),
            1,
            "{objects}"
        );
        assert_eq!(
            objects.matches("Private Key Object").count(),
            1,
            "{objects}"
        );
        let pem = self.platform.path("new.pem");
        self.usb
            .read_certificate(&format!("certhall {new_serial}"), &pem);
        let subject = openssl::subject_utf8(&pem);
        assert!(subject.contains(NEW_ORG), "{subject}");
        let (chain, issuing) = self.platform.ca_files().await;
        openssl::ok(&[
            "verify",
            "-CAfile",
            chain.to_str().unwrap(),
            pem.to_str().unwrap(),
        ]);
        let url = format!("{}/pki/ocsp", self.platform.base);
        let ocsp = |serial: &str| openssl::ocsp_by_serial(&issuing, &chain, &url, serial);
        let old = ocsp(&self.old_serial);
        assert!(
            old.contains(": revoked") && old.contains("superseded"),
            "{old}"
        );
        let new = ocsp(&openssl::serial_of(&pem));
        assert!(new.contains(": good"), "{new}");
    }

    /// The SKF key holds one container: the new SM2 key pair and its
    /// certificate, for the new name, verified by OpenSSL link by link with
    /// the signer ID; the counter's container "Sign" is gone. OCSP says the
    /// old certificate revoked as superseded, the new one good (the SM2
    /// responder's signature is checked over its bytes in the CA's tests:
    /// OpenSSL 3.0 cannot give it the signer ID).
    async fn check_skf_key(&self) {
        let contents = Keys::at(&self.assistant().usb_ports()).contents("holder-key");
        assert_eq!(contents.containers.len(), 1, "{contents:?}");
        let container = &contents.containers[0];
        assert_ne!(container.name, "Sign", "the old pair is removed");
        assert!(container.has_sign_key, "{contents:?}");
        let der = self.platform.path("new.der");
        std::fs::write(&der, container.sign_cert.as_ref().expect("a certificate")).unwrap();
        let pem = self.platform.path("new.pem");
        openssl::der_to_pem(&der, &pem);
        let subject = openssl::subject_utf8(&pem);
        assert!(subject.contains(NEW_ORG), "{subject}");
        let text = openssl::ok(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-text"]);
        assert!(
            text.contains("SM2-with-SM3") && text.contains("ASN1 OID: SM2"),
            "{text}"
        );
        self.platform.verify_sm2(&pem).await;
        let (_, issuing) = self.platform.ca_files().await;
        let url = format!("{}/pki/ocsp", self.platform.base);
        let ocsp = |serial: &str| {
            openssl::ok(&[
                "ocsp",
                "-issuer",
                issuing.to_str().unwrap(),
                "-serial",
                &format!("0x{serial}"),
                "-url",
                &url,
                "-noverify",
            ])
        };
        let old = ocsp(&self.old_serial);
        assert!(
            old.contains(": revoked") && old.contains("superseded"),
            "{old}"
        );
        let new = ocsp(&openssl::serial_of(&pem));
        assert!(new.contains(": good"), "{new}");
    }

    /// A scan of a business licence, as a PNG named in Chinese.
    fn license_png(&self) -> PathBuf {
        let file = self.files.join("营业执照.png");
        let ok = std::process::Command::new("convert")
            .args([
                "-size",
                "480x320",
                "xc:#fbf7ec",
                "-fill",
                "none",
                "-stroke",
                "#b03a2e",
                "-strokewidth",
                "6",
                "-draw",
                "circle 360,220 360,160",
                "-draw",
                "rectangle 20,20 460,300",
            ])
            .arg(&file)
            .status()
            .expect("ImageMagick is installed (scripts/test installs imagemagick)");
        assert!(ok.success());
        file
    }

    /// A small PDF named in Chinese.
    fn pdf(&self, name: &str) -> PathBuf {
        let file = self.files.join(name);
        std::fs::write(
            &file,
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
              2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
              trailer << /Root 1 0 R >>\n%%EOF\n",
        )
        .unwrap();
        file
    }

    async fn finish(self) {
        let Walk { chrome, album, .. } = self;
        chrome.quit().await;
        let index = album.finish().await;
        eprintln!("screenshots: {}", index.display());
    }
}
