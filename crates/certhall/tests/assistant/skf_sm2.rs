//! Every business that writes a key, under an SM2 CA, on a software SKF key
//! (softskf, GM/T 0016) driven by the assistant's SKF side: 在线新办 with a
//! 写入码, 签章变更, 证书变更, 在线延期, 找回密码 with the escrowed
//! administrator PIN, 在线补办 on a new key (the seal carried), and 注销.
//! Each certificate written is read out of the key's own storage and checked
//! with OpenSSL link by link (OpenSSL 3.0 verifies SM2 only so, with the
//! signer ID); the key pairs are SM2, made inside, one container per
//! certificate, the old one removed only after the new one is in.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ca::KeyAlgorithm;
use common::TestApp;
use common::assistant::{escrow_serial, out, run_skf};
use common::browser::{Browser, Page};
use common::flow::{
    change_form_and_materials, holder_code, open_link, pay_with_alipay, submit_and_pay,
};
use common::holder;
use domain::{Clock, FixedClock};
use testkit::softskf::{ADMIN_PIN, Keys, PIN};
use testkit::{Backend, on_both_databases, openssl};

pub(super) const MOBILE: &str = "13812345678";
pub(super) const ORG: &str = "合肥国密科技有限公司";
const DAY: i64 = 86_400_000;

pub(super) struct Run {
    pub(super) app: TestApp,
    pub(super) clock: Arc<FixedClock>,
    pub(super) keys: Keys,
}

impl Run {
    /// A minute on: the platform texts a number at most once a minute.
    pub(super) fn minute(&self) {
        self.clock.advance(Duration::from_secs(61));
    }

    /// The assistant with the right PIN.
    async fn assistant(&self, args: &[&str]) -> String {
        let o = run_skf(&self.keys, &self.app, args, &format!("{PIN}\n"), None).await;
        assert!(o.status.success(), "{args:?}: {}", out(&o));
        out(&o)
    }

    /// A business's form link printed by the assistant, followed and signed in.
    async fn form(&self, args: &[&str]) -> (Browser, Page) {
        let said = self.assistant(args).await;
        let link = said
            .split_whitespace()
            .find(|w| w.contains("/handoff/"))
            .unwrap_or_else(|| panic!("no link: {said}"));
        self.minute();
        open_link(&self.app, &link[link.find("/handoff/").unwrap()..], MOBILE).await
    }

    /// The one certificate in `device`, as PEM, checked: one container with
    /// a signing key and a certificate, SM2 certified by the SM2 CA
    /// (verified link by link with the signer ID).
    async fn certificate_in(&self, device: &str) -> PathBuf {
        let contents = self.keys.contents(device);
        let with_cert: Vec<_> = contents
            .containers
            .iter()
            .filter(|c| c.sign_cert.is_some())
            .collect();
        assert_eq!(with_cert.len(), 1, "{contents:?}");
        // Besides it, only earlier encryption keys 在线补办 brought back
        // (a container each, no signing certificate).
        let earlier = contents
            .containers
            .iter()
            .filter(|c| c.sign_cert.is_none() && c.has_enc_key && c.enc_cert.is_some())
            .count();
        assert_eq!(
            contents.containers.len() - earlier,
            1,
            "the old pair is gone: {contents:?}"
        );
        assert!(with_cert[0].has_sign_key);
        let der = self.app.path(&format!("{device}.der"));
        std::fs::write(&der, with_cert[0].sign_cert.as_ref().unwrap()).unwrap();
        let pem = self
            .app
            .path(&format!("{device}-{}.pem", self.clock.now_ms()));
        openssl::der_to_pem(&der, &pem);
        let text = openssl::ok(&["x509", "-in", s(&pem), "-noout", "-text"]);
        assert!(text.contains("SM2-with-SM3"), "{text}");
        assert!(text.contains("ASN1 OID: SM2"), "{text}");
        let (root, issuing) = (self.app.root_file().await, self.app.issuing_file().await);
        let at = (self.clock.now_ms() / 1000).to_string();
        let vfy = ["-vfyopt", "distid:1234567812345678", "-attime", &at];
        let link1 =
            openssl::ok(&[&["verify"][..], &vfy, &["-CAfile", s(&root), s(&issuing)]].concat());
        assert!(link1.contains(": OK"), "{link1}");
        let link2 = openssl::ok(
            &[
                &["verify"][..],
                &vfy,
                &["-partial_chain", "-CAfile", s(&issuing), s(&pem)],
            ]
            .concat(),
        );
        assert!(link2.contains(": OK"), "{link2}");
        self.pair_in(device, with_cert[0], &issuing, &vfy).await;
        pem
    }

    /// 双证书: the container also holds the encryption key pair the KMC
    /// made and its certificate (OpenSSL verifies it; its key usage is for
    /// encryption), and a message OpenSSL encrypts to that certificate's key
    /// is decrypted inside the key (`SKF_ECCPrvKeyDecrypt`, through the
    /// assistant).
    async fn pair_in(
        &self,
        device: &str,
        container: &testkit::softskf::StoredContainer,
        issuing: &Path,
        vfy: &[&str],
    ) {
        assert!(
            container.has_enc_key,
            "the encryption key pair is in the container"
        );
        let der = self.app.path(&format!("{device}-enc.der"));
        std::fs::write(
            &der,
            container.enc_cert.as_ref().expect("and its certificate"),
        )
        .unwrap();
        let pem = self
            .app
            .path(&format!("{device}-enc-{}.pem", self.clock.now_ms()));
        openssl::der_to_pem(&der, &pem);
        let link = openssl::ok(
            &[
                &["verify"][..],
                vfy,
                &["-partial_chain", "-CAfile", s(issuing), s(&pem)],
            ]
            .concat(),
        );
        assert!(link.contains(": OK"), "{link}");
        let text = openssl::ok(&["x509", "-in", s(&pem), "-noout", "-text"]);
        assert!(
            text.contains("Key Encipherment, Data Encipherment, Key Agreement"),
            "{text}"
        );
        let public = self.app.path(&format!("{device}-enc-pub.pem"));
        openssl::ok(&[
            "x509",
            "-in",
            s(&pem),
            "-noout",
            "-pubkey",
            "-out",
            s(&public),
        ]);
        let message = self.app.path("message.txt");
        std::fs::write(&message, "招标文件：第 3 标段报价").unwrap();
        let cipher = self.app.path("message.sm2");
        openssl::ok(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            s(&public),
            "-in",
            s(&message),
            "-out",
            s(&cipher),
        ]);
        let plain = self.assistant(&["decrypt", "--in", s(&cipher)]).await;
        assert!(plain.contains("招标文件：第 3 标段报价"), "{plain}");
    }

    /// The public key (PEM) of the encryption certificate in `device`'s one
    /// container with a certificate.
    fn encryption_public_key(&self, device: &str) -> String {
        let contents = self.keys.contents(device);
        let enc: Vec<_> = contents
            .containers
            .iter()
            .filter_map(|c| c.enc_cert.clone())
            .collect();
        assert_eq!(enc.len(), 1, "{contents:?}");
        let der = self.app.path(&format!("{device}-enc-now.der"));
        std::fs::write(&der, &enc[0]).unwrap();
        openssl::ok(&[
            "x509",
            "-inform",
            "DER",
            "-in",
            s(&der),
            "-noout",
            "-pubkey",
        ])
    }

    /// A file OpenSSL encrypts to the SM2 public key `public` (PEM).
    fn encrypt_to(&self, public: &str, text: &str) -> PathBuf {
        let key = self.app.path("encrypt-to.pem");
        std::fs::write(&key, public).unwrap();
        let plain = self.app.path("encrypt-to.txt");
        std::fs::write(&plain, text).unwrap();
        let cipher = self
            .app
            .path(&format!("encrypted-{}.sm2", self.clock.now_ms()));
        openssl::ok(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            s(&key),
            "-in",
            s(&plain),
            "-out",
            s(&cipher),
        ]);
        cipher
    }

    /// The revocation reason's code of `serial` (-1: not revoked).
    async fn revoked(&self, serial: &str) -> i64 {
        let hex = domain::Serial::parse(serial).unwrap().to_hex();
        self.app
            .scalar(&format!(
                "SELECT CASE WHEN revoked_at IS NULL THEN -1 ELSE revocation_reason END \
                 FROM certificates WHERE serial = '{hex}'"
            ))
            .await
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A seal image the platform takes: a transparent PNG with a red ring.
fn seal_png(dir: &Path) -> Vec<u8> {
    let file = dir.join("seal.png");
    let status = std::process::Command::new("convert")
        .args([
            "-size", "300x300", "xc:none", "-fill", "none", "-stroke", "#c0392b",
        ])
        .args(["-strokewidth", "12", "-draw", "circle 150,150 150,20"])
        .arg(format!("PNG32:{}", file.display()))
        .status()
        .expect("ImageMagick's convert runs (scripts/test installs imagemagick)");
    assert!(status.success());
    std::fs::read(file).unwrap()
}

/// 在线新办 of a 机构证书 on the holder's own key, paid and approved;
/// returns the browser and the application.
pub(super) async fn new_application(r: &Run, reviewer: &common::staff::Staff) -> (Browser, String) {
    let b = Browser::new(&r.app.base);
    let page = b
        .sign_in(&r.app.settings.data_dir, MOBILE, "/selfservice/new")
        .await;
    let form = b
        .post(&page, "/apply/new", &[("cert_type", "enterprise")])
        .await;
    let id = form.path().split('/').nth(2).unwrap().to_string();
    let mut page = b
        .post(
            &form,
            &format!("/apply/{id}/form"),
            &[
                ("organization", ORG),
                ("credit_code", holder::CODE),
                ("common_name", "李四"),
                ("years", "2"),
                ("medium", "own"),
                ("contact_mobile", MOBILE),
            ],
        )
        .await;
    for kind in ["business_license", "agent_id", "authorization"] {
        page = b
            .upload(
                &page,
                &format!("/apply/{id}/materials/{kind}"),
                "f.pdf",
                holder::pdf(),
            )
            .await;
    }
    submit_and_pay(&r.app, &b, &id, &page, ORG, "¥600.00").await;
    common::staff::approve_by(&r.app, reviewer, &id).await;
    (b, id)
}

/// 在线补办 of `serial` from 个人中心: the key lost, the earlier encryption
/// keys asked back, materials uploaded, paid (the order titled `title`).
/// The form as first shown, and the application (waiting for review).
pub(super) async fn reissue_paid(
    r: &Run,
    b: &Browser,
    serial: &str,
    title: &str,
) -> (Page, String) {
    let me = b.get("/me").await;
    let form = b
        .post(&me, &format!("/me/certificates/{serial}/reissue"), &[])
        .await;
    let reissue_id = form.path().split('/').nth(2).unwrap().to_string();
    let mut page = b
        .post(
            &form,
            &format!("/apply/{reissue_id}/form"),
            &[
                ("revoke_reason", "keyCompromise"),
                ("medium", "own"),
                ("agent_is_representative", "on"),
                ("contact_mobile", MOBILE),
                ("restore_earlier_keys", "on"),
            ],
        )
        .await;
    for kind in ["business_license", "agent_id"] {
        page = b
            .upload(
                &page,
                &format!("/apply/{reissue_id}/materials/{kind}"),
                "f.pdf",
                holder::pdf(),
            )
            .await;
    }
    submit_and_pay(&r.app, b, &reissue_id, &page, title, "¥100.00").await;
    (form, reissue_id)
}

/// An SM2 CA on a clock the test moves, its SKF keys' ports, and a reviewer.
pub(super) async fn start(backend: Backend) -> (Run, common::staff::Staff) {
    start_with(backend, |_| {}).await
}

async fn start_with(
    backend: Backend,
    change: impl FnOnce(&mut certhall::config::Settings) + Send + 'static,
) -> (Run, common::staff::Staff) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .algorithm(KeyAlgorithm::Sm2)
        .clock(clock.clone())
        .configure(change)
        .spawn()
        .await;
    let r = Run {
        app,
        clock,
        keys: Keys::new(),
    };
    // The catalogue's prices take effect when the server seeds them (real
    // time, just after the clock was set): move past it.
    r.minute();
    let reviewer =
        common::staff::staff_at(&r.app, "sm2.reviewer", "reviewer", r.clock.now_ms()).await;
    (r, reviewer)
}

/// Every business on one SKF key. 在线延期's encryption key pair is new on
/// SQLite (the default) and kept on PostgreSQL (`[kmc]
/// renewal_new_encryption_key = false`), so both settings run end to end.
async fn every_business_on_an_skf_key(backend: Backend) {
    let keeps = backend == Backend::Postgres;
    let (r, reviewer) = start_with(backend, move |s| {
        s.kmc.renewal_new_encryption_key = !keeps;
    })
    .await;
    let reviewer_secret = reviewer.secret.clone();
    r.keys.plug("ukey", "SKF-HOLDER-0001");

    // The assistant lists the SKF key (and no PKCS#11 one).
    let status = r.assistant(&["status"]).await;
    assert!(
        status.contains("ukey 国密 Key")
            && status.contains("SKF")
            && status.contains("SKF-HOLDER-0001"),
        "{status}"
    );
    // The CA's operator escrows the key's administrator PIN for 找回密码.
    escrow_serial(&r.app, "SKF-HOLDER-0001", MOBILE).await;

    // 在线新办: an SM2 key pair made in the key, its CSR signed there
    // (SM3withSM2 with the signer ID), the certificate written.
    let (b, new_id) = new_application(&r, &reviewer).await;
    let code = holder_code(&b, &new_id).await;
    // A wrong code: refused by the server, nothing left in the key.
    let before = r.keys.snapshot();
    let wrong = run_skf(
        &r.keys,
        &r.app,
        &["pickup", "--code", "ABCD-EFGH-JKMN-PQRS-TVWX"],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert!(!wrong.status.success());
    assert!(
        out(&wrong).contains("写入码不正确或已失效"),
        "{}",
        out(&wrong)
    );
    assert_eq!(r.keys.snapshot(), before);
    let done = r.assistant(&["pickup", "--code", &code]).await;
    assert!(done.contains("业务已办理完成"), "{done}");
    let first = r.certificate_in("ukey").await;
    let subject = openssl::subject_utf8(&first);
    assert!(
        subject.contains(ORG) && subject.contains("李四"),
        "{subject}"
    );
    let first_serial = openssl::serial_of(&first);

    // 个人中心, 证书查询 and the review desk show the pair as one
    // certificate line with its encryption certificate.
    let enc_der = r.keys.contents("ukey").containers[0]
        .enc_cert
        .clone()
        .unwrap();
    let enc_pem = r.app.path("first-enc.pem");
    let enc_der_path = r.app.path("first-enc.der");
    std::fs::write(&enc_der_path, enc_der).unwrap();
    openssl::der_to_pem(&enc_der_path, &enc_pem);
    let enc_serial = openssl::serial_of(&enc_pem);
    let me = b.get("/me").await;
    assert!(
        me.text(&format!("#enc-{first_serial}"))
            .contains(&enc_serial),
        "{}",
        me.visible()
    );
    assert!(
        !me.shows(&format!("#cert-{enc_serial}")),
        "the pair is one line"
    );
    let found = b.get(&format!("/query?by=holder&q={ORG}")).await;
    assert_eq!(
        found.texts("table.results tbody tr").len(),
        1,
        "{}",
        found.visible()
    );
    assert!(found.has(&enc_serial) && found.has("加密证书（双证书）"));
    let by_enc = b.get(&format!("/query?q={enc_serial}")).await;
    assert!(by_enc.has("签名证书（双证书）") && by_enc.has(&first_serial));
    let desk = reviewer
        .browser
        .get(&format!("/admin/applications/{new_id}"))
        .await;
    let pairs = desk.text("#pairs");
    assert!(
        pairs.contains("新签发") && pairs.contains(&first_serial) && pairs.contains(&enc_serial),
        "{pairs}"
    );

    // 签章变更: the approved seal written into the key, bound to the
    // certificate's container.
    let seal = seal_png(&r.app.path(""));
    let (b, form) = r.form(&["seal", "--no-browser"]).await;
    assert_eq!(form.text("h1"), "签章变更");
    let seal_id = form.path().split('/').nth(2).unwrap().to_string();
    let mut page = b
        .post(
            &form,
            &format!("/apply/{seal_id}/form"),
            &[("contact_mobile", MOBILE)],
        )
        .await;
    page = b
        .upload(
            &page,
            &format!("/apply/{seal_id}/materials/seal_image"),
            "印章.png",
            seal.clone(),
        )
        .await;
    page = b
        .upload(
            &page,
            &format!("/apply/{seal_id}/materials/seal_sample_form"),
            "采样表.pdf",
            holder::pdf(),
        )
        .await;
    let order = b
        .post(&page, &format!("/apply/{seal_id}/submit"), &[])
        .await;
    let order_id = order.path().split('/').nth(2).unwrap().to_string();
    pay_with_alipay(&r.app, &b, &order_id, ORG, "¥50.00").await;
    common::staff::approve_by(&r.app, &reviewer, &seal_id).await;
    let written = r.assistant(&["seal"]).await;
    assert!(written.contains("签章变更已完成"), "{written}");
    let files = r.keys.contents("ukey").files;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].1, seal, "the approved seal, byte for byte");

    // 证书变更: a new SM2 pair, the new subject, the old pair removed after
    // the new certificate is in; the seal follows; the old certificate is
    // revoked as superseded.
    let (b, form) = r.form(&["change", "--no-browser"]).await;
    let (change_id, materials) = change_form_and_materials(&b, &form, MOBILE).await;
    // Free by default: submitted, it waits for review.
    let done = b
        .post(&materials, &format!("/apply/{change_id}/submit"), &[])
        .await;
    assert_eq!(done.text("#result"), "申请成功，等待审核");
    common::staff::approve_by(&r.app, &reviewer, &change_id).await;
    // Stopped after the certificate is written: the old pair is still there;
    // a rerun finishes it.
    let stopped = run_skf(
        &r.keys,
        &r.app,
        &["change"],
        &format!("{PIN}\n"),
        Some("write"),
    )
    .await;
    assert_eq!(stopped.status.code(), Some(75), "{}", out(&stopped));
    assert_eq!(r.keys.contents("ukey").containers.len(), 2);
    let changed = r.assistant(&["change"]).await;
    assert!(changed.contains("证书变更已完成"), "{changed}");
    let second = r.certificate_in("ukey").await;
    assert!(openssl::subject_utf8(&second).contains("合肥新名科技有限公司"));
    let second_serial = openssl::serial_of(&second);
    assert_ne!(second_serial, first_serial);
    assert_eq!(r.revoked(&second_serial).await, -1);
    assert_eq!(r.revoked(&first_serial).await, 4, "superseded");
    let files = r.keys.contents("ukey").files;
    assert_eq!(files.len(), 1, "the seal carried, once: {files:?}");
    assert_eq!(files[0].1, seal);

    // 在线延期, 30 days before the end: a new signing key, two years on; the
    // encryption key new or kept (the setting). A file encrypted to the
    // encryption certificate before opens after only when the key is kept.
    let end = openssl::not_after_iso(&second);
    let enc_before = r.encryption_public_key("ukey");
    let old_file = r.encrypt_to(&enc_before, "续期前加密的投标文件");
    let not_after = r
        .app
        .scalar(&format!(
            "SELECT not_after FROM certificates WHERE serial = '{}'",
            domain::Serial::parse(&second_serial).unwrap().to_hex()
        ))
        .await;
    let now = r.clock.now_ms();
    r.clock.advance(Duration::from_millis(
        u64::try_from(not_after - 30 * DAY - now).unwrap(),
    ));
    let reviewer =
        common::staff::sign_in_at(&r.app, "sm2.reviewer", &reviewer_secret, r.clock.now_ms()).await;
    let (b, form) = r.form(&["renew", "--no-browser"]).await;
    let renew_id = form.path().split('/').nth(2).unwrap().to_string();
    let materials = b
        .post(
            &form,
            &format!("/apply/{renew_id}/form"),
            &[("years", "1"), ("contact_mobile", MOBILE)],
        )
        .await;
    submit_and_pay(
        &r.app,
        &b,
        &renew_id,
        &materials,
        "合肥新名科技有限公司",
        "¥300.00",
    )
    .await;
    common::staff::approve_by(&r.app, &reviewer, &renew_id).await;
    let renewed = r.assistant(&["renew"]).await;
    assert!(renewed.contains("在线延期已完成"), "{renewed}");
    let third = r.certificate_in("ukey").await;
    assert!(openssl::not_after_iso(&third) > end, "{end}");
    let enc_after = r.encryption_public_key("ukey");
    let opened = run_skf(
        &r.keys,
        &r.app,
        &["decrypt", "--in", s(&old_file)],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    if keeps {
        assert_eq!(
            enc_after, enc_before,
            "the same encryption key, certified again"
        );
        assert!(opened.status.success(), "{}", out(&opened));
        assert!(out(&opened).contains("续期前加密的投标文件"));
    } else {
        assert_ne!(enc_after, enc_before, "a new encryption key pair");
        assert!(!opened.status.success(), "{}", out(&opened));
        assert!(!out(&opened).contains("续期前加密的投标文件"));
    }
    assert_eq!(r.keys.contents("ukey").files.len(), 1);

    // 找回密码: the PIN locked by wrong tries says so; the SMS code lets the
    // platform hand over the escrowed administrator PIN, which sets a new PIN.
    for _ in 0..6 {
        let o = run_skf(&r.keys, &r.app, &["status", "--online"], "000000\n", None).await;
        assert!(!o.status.success());
    }
    let locked = run_skf(
        &r.keys,
        &r.app,
        &["status", "--online"],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert!(out(&locked).contains("找回密码"), "{}", out(&locked));
    r.minute();
    let first_try = run_skf(&r.keys, &r.app, &["unlock"], "000000\n654321\n", None).await;
    assert!(
        out(&first_try).contains("验证码不正确"),
        "{}",
        out(&first_try)
    );
    let code = testkit::outbox::sms_code(&r.app.settings.data_dir, MOBILE);
    let unlocked = run_skf(
        &r.keys,
        &r.app,
        &["unlock"],
        &format!("{code}\n654321\n"),
        None,
    )
    .await;
    assert!(unlocked.status.success(), "{}", out(&unlocked));
    assert!(out(&unlocked).contains("PIN 已重置"), "{}", out(&unlocked));
    assert!(
        !out(&unlocked).contains(ADMIN_PIN),
        "the administrator PIN is never shown"
    );
    let again = run_skf(&r.keys, &r.app, &["status", "--online"], "654321\n", None).await;
    assert!(again.status.success(), "{}", out(&again));

    // 在线补办: the key is lost; a new one receives a new pair, the same
    // subject, the seal the lost key held and, asked for on the form, the
    // earlier encryption keys: files encrypted to the lost certificate, and
    // to those before it, open in the new key.
    let lost_file = r.encrypt_to(&r.encryption_public_key("ukey"), "补办前加密的合同");
    r.keys.pull("ukey");
    r.keys.plug("ukey2", "SKF-HOLDER-0002");
    let third_serial = openssl::serial_of(&third);
    r.minute();
    let (_, reissue_id) = reissue_paid(&r, &b, &third_serial, "合肥新名科技有限公司").await;
    common::staff::approve_by(&r.app, &reviewer, &reissue_id).await;
    let code = holder_code(&b, &reissue_id).await;
    // Stopped after the first earlier key is in: the rerun brings the rest
    // (the first is not asked again) and completes.
    let stopped = run_skf(
        &r.keys,
        &r.app,
        &["pickup", "--code", &code],
        &format!("{PIN}\n"),
        Some("earlier"),
    )
    .await;
    assert_eq!(stopped.status.code(), Some(75), "{}", out(&stopped));
    assert_eq!(r.keys.contents("ukey2").containers.len(), 2);
    let picked = r.assistant(&["pickup", "--code", &code]).await;
    assert!(picked.contains("业务已办理完成"), "{picked}");
    // The lost certificate's key, the changed one's and (renewed with a new
    // pair) the one before the renewal: one container each.
    let earlier = if keeps { 2 } else { 3 };
    assert!(picked.contains("原加密密钥已取回"), "{picked}");
    let fourth = r.certificate_in("ukey2").await;
    assert_eq!(r.keys.contents("ukey2").containers.len(), 1 + earlier);
    for (file, text) in [
        (&lost_file, "补办前加密的合同"),
        (&old_file, "续期前加密的投标文件"),
    ] {
        let opened = r.assistant(&["decrypt", "--in", s(file)]).await;
        assert!(opened.contains(text), "{opened}");
    }
    let listed = r.assistant(&["status", "--online"]).await;
    assert_eq!(
        listed.matches("原加密证书：序列号").count(),
        earlier,
        "{listed}"
    );
    assert_eq!(
        openssl::subject_utf8(&fourth),
        openssl::subject_utf8(&third)
    );
    assert_eq!(r.revoked(&third_serial).await, 1, "keyCompromise");
    let files = r.keys.contents("ukey2").files;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].1, seal, "the lost key's seal, carried");

    // 注销: the key proves the certificate, the portal's form takes the
    // reason and the SMS code; approved, it is revoked.
    let (b, form) = r.form(&["revoke", "--no-browser"]).await;
    assert_eq!(form.text("h1"), "证书注销");
    let revoke_id = form.path().split('/').nth(2).unwrap().to_string();
    r.minute();
    let sent = b
        .post(
            &form,
            &format!("/apply/{revoke_id}/revoke-code"),
            &[("reason", "cessationOfOperation"), ("note", "")],
        )
        .await;
    let code = testkit::outbox::sms_code(&r.app.settings.data_dir, MOBILE);
    let submitted = b
        .post(
            &sent,
            &format!("/apply/{revoke_id}/revoke"),
            &[
                ("reason", "cessationOfOperation"),
                ("note", ""),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.html);
    common::staff::approve_by(&r.app, &reviewer, &revoke_id).await;
    let fourth_serial = openssl::serial_of(&fourth);
    assert_eq!(r.revoked(&fourth_serial).await, 5, "cessationOfOperation");
    r.app.server.stop().await;
}

on_both_databases!(every_business_on_an_skf_key);

/// What the holder of an SKF key is told, with nothing changed: a key that
/// makes no SM2 pairs under an SM2 CA, a PIN the key refuses by its format
/// (the library's code in the log, words on screen), a certificate from the
/// server for some other key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_on_an_skf_key() {
    use axum::Json;
    use axum::routing::post;
    let (r, reviewer) = start(Backend::Sqlite).await;
    let (b, id) = new_application(&r, &reviewer).await;
    let code = holder_code(&b, &id).await;

    // An RSA-only U 盾: refused before anything is made or sent.
    r.keys.plug_rsa_only("old-ukey", "SKF-RSA-0001");
    let (keys_before, db_before) = (r.keys.snapshot(), r.app.business_snapshot().await);
    let o = run_skf(
        &r.keys,
        &r.app,
        &["pickup", "--code", &code],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("该证书介质不支持 SM2 算法")
            && out(&o).contains("请更换支持国密的 USB Key"),
        "{}",
        out(&o)
    );
    assert_eq!(r.keys.snapshot(), keys_before);
    assert_eq!(r.app.business_snapshot().await, db_before);

    // A PIN the key refuses by its length: the holder reads why, the log
    // keeps the function and the code; no try is counted.
    let o = run_skf(&r.keys, &r.app, &["status", "--online"], "12\n", None).await;
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("PIN 的格式或长度不符合证书介质的要求"),
        "{stderr}"
    );
    assert!(stderr.contains("SKF_VerifyPIN 0x0A000027"), "{stderr}");
    assert!(!stderr.contains("12\n"), "{stderr}");
    assert_eq!(r.keys.snapshot(), keys_before, "no try counted");
    r.keys.pull("old-ukey");

    // A server answering with a certificate of this CA for another key:
    // nothing is written into the key.
    let other = r
        .app
        .issue(
            "other",
            openssl::KeyKind::Sm2,
            &[
                "--profile",
                "enterprise",
                "--cn",
                "王五",
                "--org",
                ORG,
                "--credit-code",
                holder::CODE,
            ],
        )
        .await;
    let other_pem = std::fs::read_to_string(&other).unwrap();
    let fake = axum::Router::new().route(
        "/api/v1/assistant/pickup",
        post(move || {
            let pem = other_pem.clone();
            async move {
                Json(serde_json::json!({ "application_id": "app-1", "serial": "02", "certificate_pem": pem }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, fake).await });
    r.keys.plug("ukey", "SKF-HOLDER-0003");
    let o = common::assistant::run_skf_at(
        &r.keys,
        &fake_base,
        &["pickup", "--code", "ABCD-EFGH-JKMN-PQRS-TVWX"],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("不匹配，未写入"), "{}", out(&o));
    let contents = r.keys.contents("ukey");
    assert!(
        contents.containers.iter().all(|c| c.sign_cert.is_none()),
        "{contents:?}"
    );
    r.app.server.stop().await;
}

/// Stopped after each step in turn (a crash, the key pulled, the network
/// lost), then run again: 在线新办 and 证书变更 each end with one
/// certificate from the server and one container in the key; the old pair
/// stays until the new certificate is in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_anywhere_on_an_skf_key() {
    let (r, reviewer) = start(Backend::Sqlite).await;
    r.keys.plug("ukey", "SKF-HOLDER-0004");
    let (b, new_id) = new_application(&r, &reviewer).await;
    let code = holder_code(&b, &new_id).await;
    let pin = format!("{PIN}\n");
    // "encryption": the KMC's pair is in the container, the signing
    // certificate not yet.
    for step in ["keygen", "issue", "encryption", "write", "relabel", "seal"] {
        let o = run_skf(
            &r.keys,
            &r.app,
            &["pickup", "--code", &code],
            &pin,
            Some(step),
        )
        .await;
        assert_eq!(
            o.status.code(),
            Some(75),
            "stopped after {step}: {}",
            out(&o)
        );
        assert_eq!(r.keys.contents("ukey").containers.len(), 1, "{step}");
    }
    let done = r.assistant(&["pickup", "--code", &code]).await;
    assert!(done.contains("业务已办理完成"), "{done}");
    let first = r.certificate_in("ukey").await;
    let issued = |id: String| {
        let app = &r.app;
        async move {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM certificates WHERE request_id = 'application:{id}'"
            ))
            .await
        }
    };
    assert_eq!(issued(new_id.clone()).await, 1);

    let (b, form) = r.form(&["change", "--no-browser"]).await;
    let (change_id, materials) = change_form_and_materials(&b, &form, MOBILE).await;
    let done = b
        .post(&materials, &format!("/apply/{change_id}/submit"), &[])
        .await;
    assert_eq!(done.text("#result"), "申请成功，等待审核");
    common::staff::approve_by(&r.app, &reviewer, &change_id).await;
    let old = r.keys.contents("ukey").containers[0].name.clone();
    // (No "relabel" here: SKF has no labels, so once the certificate is in
    // its container the rerun takes the way of a written certificate.)
    for step in ["keygen", "issue", "encryption", "write", "seal"] {
        let o = run_skf(&r.keys, &r.app, &["change"], &pin, Some(step)).await;
        assert_eq!(
            o.status.code(),
            Some(75),
            "stopped after {step}: {}",
            out(&o)
        );
        let contents = r.keys.contents("ukey");
        assert!(
            contents
                .containers
                .iter()
                .any(|c| c.name == old && c.sign_cert.is_some()),
            "the old pair is kept until the new certificate is in: {step} {contents:?}"
        );
    }
    let done = r.assistant(&["change"]).await;
    assert!(done.contains("证书变更已完成"), "{done}");
    let second = r.certificate_in("ukey").await;
    assert_ne!(openssl::serial_of(&second), openssl::serial_of(&first));
    assert_eq!(issued(change_id.clone()).await, 1);
    let state = r
        .app
        .text(&format!(
            "SELECT state FROM applications WHERE id = '{change_id}'"
        ))
        .await;
    assert_eq!(state, "COMPLETED");
    r.app.server.stop().await;
}

/// A CA operator initialises a blank 国密 U 盾: the application made after the
/// standard's device authentication, the administrator PIN random and
/// escrowed (never shown), the holder's first PIN set. Someone who may not
/// escrow is refused, and that key is blank again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_initialises_a_blank_skf_key() {
    let app = TestApp::new().algorithm(KeyAlgorithm::Sm2).spawn().await;
    let op = common::staff::staff(&app, "zhou.operator", "operator", &[]).await;
    let reviewer = common::staff::staff(&app, "wang.reviewer", "reviewer", &[]).await;
    let keys = Keys::new();
    keys.plug_blank("blank", "SKF-BLANK-0001");
    let init = |name: &'static str, secret: Vec<u8>, mobile: &'static str| {
        let (keys, app) = (&keys, &app);
        async move {
            let code = common::staff::code(&secret, 1).await;
            run_skf(
                keys,
                app,
                &[
                    "token",
                    "init",
                    "--label",
                    "blank",
                    "--mobile",
                    mobile,
                    "--operator",
                    name,
                ],
                &format!("{}\n{code}\n246810\n", common::staff::PASSWORD),
                None,
            )
            .await
        }
    };
    let o = init("zhou.operator", op.secret.clone(), "13812345678").await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("已初始化；SO PIN 已交由 CA 保管"),
        "{}",
        out(&o)
    );
    assert_eq!(
        app.text("SELECT created_by FROM token_escrow WHERE mobile = '13812345678'")
            .await,
        "staff:zhou.operator"
    );
    // The holder's PIN opens it; nothing is in it yet.
    let o = run_skf(&keys, &app, &["status", "--online"], "246810\n", None).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("SKF-BLANK-0001"), "{}", out(&o));
    assert!(keys.contents("blank").containers.is_empty());

    // A reviewer may not hold SO PINs: refused, the second key blank again.
    keys.plug_blank("blank2", "SKF-BLANK-0002");
    let before = keys.snapshot();
    let o = init("wang.reviewer", reviewer.secret.clone(), "13912345678").await;
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("没有权限") && out(&o).contains("已恢复为空白介质"),
        "{}",
        out(&o)
    );
    let blank2: Vec<_> = keys
        .snapshot()
        .into_iter()
        .filter(|(p, _)| p.starts_with(keys.dir().join("blank2")))
        .collect();
    let was: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| p.starts_with(keys.dir().join("blank2")))
        .collect();
    assert_eq!(blank2, was, "the key is as it was");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM token_escrow").await, 1);
    app.server.stop().await;
}

/// A SoftHSM2 token and a 国密 U 盾 plugged in at once: both listed, each by
/// its interface; a business asks which to use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkcs11_and_skf_keys_side_by_side() {
    let app = TestApp::new().spawn().await;
    let keys = Keys::new();
    keys.plug("ukey", "SKF-SIDE-0001");
    let usb = testkit::softhsm::Token::new("hsm-key");
    let o = common::assistant::run_keys(&keys, &usb, &app.base, &["status"], "", None).await;
    assert!(o.status.success(), "{}", out(&o));
    let said = out(&o);
    assert!(
        said.contains("hsm-key") && said.contains("PKCS#11"),
        "{said}"
    );
    assert!(
        said.contains("ukey 国密 Key") && said.contains("SKF"),
        "{said}"
    );
    let o = common::assistant::run_keys(
        &keys,
        &usb,
        &app.base,
        &["change", "--no-browser"],
        &format!("{PIN}\n"),
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("检测到多个证书介质"), "{}", out(&o));
    app.server.stop().await;
}
