//! The portal's bad inputs: each gets a clear message in the page's language and
//! changes nothing (accounts, sessions, applications, materials, hand-offs).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::TestApp;
use common::browser::{Browser, last_code};
use common::holder::{self, CODE};
use domain::FixedClock;
use testkit::openssl::{self, KeyKind};
use testkit::{Backend, on_both_databases};

const MOBILE: &str = "13812345678";

fn other_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

async fn sms_codes(backend: Backend) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let data = app.settings.data_dir.clone();
    let b = Browser::new(&app.base);
    let form = b.get("/signin").await;
    let sent = b.post(&form, "/signin/code", &[("mobile", MOBILE)]).await;
    assert_eq!(sent.notice(), "验证码已发送至 138****5678，5 分钟内有效。");
    let code = last_code(&data, MOBILE);

    // A second code within the minute: refused, nothing sent.
    let before_log = std::fs::read_to_string(data.join("outbox/sms.log")).unwrap();
    let again = b.post(&sent, "/signin/code", &[("mobile", MOBILE)]).await;
    assert_eq!(again.status, 429);
    assert_eq!(again.field_error("mobile"), "操作过于频繁，请 60 秒后再试");
    assert_eq!(
        before_log,
        std::fs::read_to_string(data.join("outbox/sms.log")).unwrap()
    );

    // A mobile number that is not one.
    let before = app.portal_snapshot().await;
    let bad = b.post(&sent, "/signin/code", &[("mobile", "12345")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("mobile"), "请输入 11 位中国大陆手机号");
    assert_eq!(bad.attr("#mobile", "value"), "12345");

    // Wrong code: counted, told how many tries are left, nobody signed in.
    let wrong = b
        .post(
            &sent,
            "/signin",
            &[("mobile", MOBILE), ("code", &other_code(&code))],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.field_error("code"), "验证码不正确，还可尝试 4 次");
    let garbled = b
        .post(&sent, "/signin", &[("mobile", MOBILE), ("code", "12ab")])
        .await;
    assert_eq!(garbled.field_error("code"), "请输入 6 位数字验证码");
    assert_eq!(before, app.portal_snapshot().await);

    // In English, the same refusal in English.
    let en = Browser::english(&app.base);
    let en_form = en.get("/signin").await;
    let en_wrong = en
        .post(
            &en_form,
            "/signin",
            &[("mobile", MOBILE), ("code", &other_code(&code))],
        )
        .await;
    assert_eq!(en_wrong.field_error("code"), "Wrong code: 3 tries left");

    // The right code works once…
    let ok = b
        .post(&sent, "/signin", &[("mobile", MOBILE), ("code", &code)])
        .await;
    assert!(ok.path().starts_with("/me"), "{}", ok.url);
    let signed_in = app.portal_snapshot().await;
    // …and never again.
    let b2 = Browser::new(&app.base);
    let f2 = b2.get("/signin").await;
    let reused = b2
        .post(&f2, "/signin", &[("mobile", MOBILE), ("code", &code)])
        .await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.field_error("code"), "验证码已使用，请重新获取");
    assert_eq!(signed_in, app.portal_snapshot().await);

    // An expired code.
    let other = "13900001111";
    let s2 = b2.post(&f2, "/signin/code", &[("mobile", other)]).await;
    assert_eq!(s2.status, 200, "{}", s2.html);
    let code2 = last_code(&data, other);
    clock.advance(Duration::from_secs(6 * 60));
    let expired = b2
        .post(&s2, "/signin", &[("mobile", other), ("code", &code2)])
        .await;
    assert_eq!(expired.field_error("code"), "验证码已过期，请重新获取");
    assert_eq!(signed_in, app.portal_snapshot().await);

    // Five wrong tries lock the code, even against the right one.
    let third = "13700002222";
    let s3 = b2.post(&f2, "/signin/code", &[("mobile", third)]).await;
    assert_eq!(s3.status, 200, "{}", s3.html);
    let code3 = last_code(&data, third);
    for _ in 0..5 {
        b2.post(
            &s3,
            "/signin",
            &[("mobile", third), ("code", &other_code(&code3))],
        )
        .await;
    }
    let locked = b2
        .post(&s3, "/signin", &[("mobile", third), ("code", &code3)])
        .await;
    assert_eq!(locked.field_error("code"), "验证码错误次数过多，请重新获取");
    assert_eq!(signed_in, app.portal_snapshot().await);
    app.server.stop().await;
}

async fn handoff_refusals(backend: Backend) {
    let clock = Arc::new(FixedClock::at(SystemTime::now()));
    let app = TestApp::new()
        .backend(backend)
        .clock(clock.clone())
        .spawn()
        .await;
    let dir = app.dir.path().to_path_buf();
    let holder = holder::enterprise(&app, "h", KeyKind::P256).await;
    let pem = std::fs::read_to_string(&holder.cert).unwrap();
    let before = app.portal_snapshot().await;

    // A proof signed by another key: refused, and the challenge is still good.
    let (nonce, text) = holder::challenge(&app).await;
    let (stranger, _) = openssl::key_and_csr(&dir, "stranger", KeyKind::P256);
    let forged = holder::sign(&dir, &stranger, KeyKind::P256, &text);
    let (status, body) = holder::present(&app, &pem, &nonce, &forged).await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("签名验证失败"),
        "{body}"
    );
    // A foreign certificate (same key, not ours).
    let foreign = dir.join("foreign.pem");
    openssl::ok(&[
        "req",
        "-x509",
        "-key",
        holder.key.to_str().unwrap(),
        "-subj",
        "/CN=张三",
        "-days",
        "2",
        "-out",
        foreign.to_str().unwrap(),
    ]);
    let good_sig = holder::sign(&dir, &holder.key, KeyKind::P256, &text);
    let (status, body) = holder::present(
        &app,
        &std::fs::read_to_string(&foreign).unwrap(),
        &nonce,
        &good_sig,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("该证书不是本 CA 签发的证书"),
        "{body}"
    );
    // Garbage certificate, garbage JSON, an unknown nonce.
    let (status, body) = holder::present(&app, "not a certificate", &nonce, &good_sig).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("证书格式不正确"),
        "{body}"
    );
    let r = app
        .http
        .post(format!("{}/api/v1/handoff", app.base))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (status, body) = holder::present(&app, &pem, "made-up-nonce", &good_sig).await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("挑战码无效"),
        "{body}"
    );
    // English on request.
    let r = app
        .http
        .post(format!("{}/api/v1/handoff", app.base))
        .header("accept-language", "en")
        .json(&serde_json::json!({ "certificate": pem, "nonce": nonce, "signature": forged }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("The signature does not verify"),
        "{body}"
    );
    assert_eq!(
        before,
        app.portal_snapshot().await,
        "refused proofs stored nothing"
    );

    // The challenge was not used up by the refusals: the right proof works once.
    let (status, body) = holder::present(&app, &pem, &nonce, &good_sig).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = holder::present(&app, &pem, &nonce, &good_sig).await;
    assert_eq!(status, 403, "a challenge works once: {body}");
    let link = body_url(&app, &holder::handoff_link(&app, &holder).await);

    // Forged, reused and expired links.
    let b = Browser::new(&app.base);
    let before = app.portal_snapshot().await;
    let forged = b.get("/handoff/not-a-real-token").await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        forged.error(),
        "链接无效、已过期或已被使用，请在证书助手中重新点击"
    );
    assert_eq!(before, app.portal_snapshot().await);
    let first = b.get(&link).await;
    assert!(first.path().starts_with("/signin"));
    let reused = Browser::new(&app.base).get(&link).await;
    assert_eq!(reused.status, 403, "a link works once");
    assert_eq!(
        reused.error(),
        "链接无效、已过期或已被使用，请在证书助手中重新点击"
    );
    let late = holder::handoff_link(&app, &holder).await;
    clock.advance(Duration::from_secs(6 * 60));
    let before = app.portal_snapshot().await;
    let expired = Browser::new(&app.base).get(&late).await;
    assert_eq!(expired.status, 403);
    assert_eq!(before, app.portal_snapshot().await);

    // A revoked certificate cannot start a business.
    let out = app
        .cli(&["ca", "revoke", &holder.serial, "--reason", "keyCompromise"])
        .await;
    assert!(out.status.success());
    let (nonce, text) = holder::challenge(&app).await;
    let sig = holder::sign(&dir, &holder.key, KeyKind::P256, &text);
    let before = app.portal_snapshot().await;
    let (status, body) = holder::present(&app, &pem, &nonce, &sig).await;
    assert_eq!(status, 403);
    assert!(
        body["error"].as_str().unwrap().contains("该证书已被吊销"),
        "{body}"
    );
    assert_eq!(before, app.portal_snapshot().await);
    app.server.stop().await;
}

fn body_url(_app: &TestApp, path: &str) -> String {
    path.to_string()
}

/// Holder A's application and materials, asked for by holder B: 404, like an id
/// that does not exist.
async fn other_holders_ids(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let data = app.settings.data_dir.clone();
    let holder = holder::enterprise(&app, "a", KeyKind::P256).await;
    let a = Browser::new(&app.base);
    a.get(&holder::handoff_link(&app, &holder).await).await;
    let form = a.sign_in(&data, MOBILE, "/handoff/continue").await;
    let app_id = form.path().split('/').nth(2).unwrap().to_string();
    let page = a
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[
                ("organization", "新名称公司"),
                ("credit_code", CODE),
                ("common_name", "张三"),
                ("contact_mobile", MOBILE),
                ("reason", "更名"),
            ],
        )
        .await;
    let page = a
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/business_license"),
            "l.pdf",
            holder::pdf(),
        )
        .await;
    let href = page.attr("#material-business_license .uploaded a", "href");
    let material_id = href.trim_start_matches("/materials/").to_string();

    let b = Browser::new(&app.base);
    b.sign_in(&data, "13999998888", "/me").await;
    let before = app.portal_snapshot().await;
    for path in [
        format!("/me/applications/{app_id}"),
        format!("/apply/{app_id}/form"),
        format!("/apply/{app_id}/materials"),
        format!("/materials/{material_id}"),
        "/me/applications/00000000-0000-7000-8000-000000000000".to_string(),
        "/materials/00000000-0000-7000-8000-000000000000".to_string(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.error(), "未找到该记录", "{path}");
        assert!(!r.has("新名称公司"), "{path} leaks the application");
    }
    let me = b.get("/me").await;
    let cancel = b
        .post(&me, &format!("/me/applications/{app_id}/cancel"), &[])
        .await;
    assert_eq!(cancel.status, 404);
    let upload = b
        .upload(
            &me,
            &format!("/apply/{app_id}/materials/change_notice"),
            "x.pdf",
            holder::pdf(),
        )
        .await;
    assert_eq!(upload.status, 404);
    let post = b
        .post(
            &me,
            &format!("/apply/{app_id}/form"),
            &[("organization", "劫持")],
        )
        .await;
    assert_eq!(post.status, 404);
    assert_eq!(before, app.portal_snapshot().await);
    app.server.stop().await;
}

async fn uploads_and_forms(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let data = app.settings.data_dir.clone();
    let holder = holder::enterprise(&app, "u", KeyKind::P256).await;
    let b = Browser::new(&app.base);
    b.get(&holder::handoff_link(&app, &holder).await).await;
    let form = b.sign_in(&data, MOBILE, "/handoff/continue").await;
    let app_id = form.path().split('/').nth(2).unwrap().to_string();

    // Invalid check digits: errors next to the fields, what was typed kept, nothing saved.
    let before = app.portal_snapshot().await;
    let bad = b
        .post(
            &form,
            &format!("/apply/{app_id}/form"),
            &[
                ("organization", "新名称公司"),
                ("credit_code", "91110108551385082A"),
                ("common_name", "张三"),
                ("contact_mobile", "1381234"),
                ("reason", "更名"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("credit_code"), "校验位不正确");
    assert_eq!(
        bad.field_error("contact_mobile"),
        "请输入 11 位中国大陆手机号"
    );
    // What was typed stays in the fields.
    assert_eq!(bad.attr("#credit_code", "value"), "91110108551385082A");
    assert_eq!(bad.attr("#contact_mobile", "value"), "1381234");
    assert_eq!(before, app.portal_snapshot().await);

    // Posted without a valid CSRF token, or from another site: refused.
    let fields = [
        ("organization", "新名称公司"),
        ("credit_code", CODE),
        ("common_name", "张三"),
        ("contact_mobile", MOBILE),
        ("reason", "更名"),
    ];
    let no_token = b.post_raw(&format!("/apply/{app_id}/form"), &fields).await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.html.contains("CSRF"));
    let mut wrong: Vec<(&str, &str)> =
        vec![("_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
    wrong.extend_from_slice(&fields);
    assert_eq!(
        b.post_raw(&format!("/apply/{app_id}/form"), &wrong)
            .await
            .status,
        403
    );
    let mut with_token: Vec<(&str, &str)> = vec![("_csrf", "")];
    let token = form.csrf();
    with_token[0].1 = &token;
    with_token.extend_from_slice(&fields);
    let cross = b
        .client
        .post(format!("{}/apply/{app_id}/form", app.base))
        .header("origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(before, app.portal_snapshot().await);

    // The real form, then uploads.
    let page = b
        .post(&form, &format!("/apply/{app_id}/form"), &fields)
        .await;
    assert!(page.path().ends_with("/materials"));
    let before = app.portal_snapshot().await;
    // An executable renamed .pdf.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 4096));
    let refused = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/business_license"),
            "营业执照.pdf",
            elf,
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#error-business_license"),
        "只接受 PDF、JPEG、PNG 文件（按文件内容识别，改扩展名无效）"
    );
    // Over the 10 MB limit.
    let mut big = holder::pdf();
    big.resize(11 * 1024 * 1024, b' ');
    let refused = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/business_license"),
            "big.pdf",
            big,
        )
        .await;
    assert!(
        refused.status == 422 || refused.status == 413,
        "{}",
        refused.status
    );
    let said = if refused.status == 413 {
        refused.error()
    } else {
        refused.text("#error-business_license")
    };
    assert_eq!(said, "文件超过 10 MB 的上限");
    // Without the token.
    let part = reqwest::multipart::Part::bytes(holder::pdf()).file_name("l.pdf");
    let r = b
        .client
        .post(format!(
            "{}/apply/{app_id}/materials/business_license",
            app.base
        ))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // An unknown material kind.
    let r = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/passport"),
            "l.pdf",
            holder::pdf(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        before,
        app.portal_snapshot().await,
        "refused uploads stored nothing"
    );

    // Submitting with materials missing names them.
    let r = b.post(&page, &format!("/apply/{app_id}/submit"), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text("#submit-error"),
        "请上传：营业执照副本、工商变更通知书、经办人身份证"
    );
    assert_eq!(before, app.portal_snapshot().await);
    app.server.stop().await;
}

/// A hundred code requests at once from one client (each for another number):
/// exactly the client's hourly limit of SMS goes out (issue 16, finding 7).
async fn code_requests_at_once(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let b = Browser::new(&app.base);
    let form = b.get("/signin").await;
    let mobiles: Vec<String> = (0..100).map(|i| format!("139{i:08}")).collect();
    let pages = futures_util::future::join_all(mobiles.iter().map(|m| async {
        b.post(&form, "/signin/code", &[("mobile", m.as_str())])
            .await
    }))
    .await;
    let sent = pages.iter().filter(|p| p.status == 200).count();
    let limited = pages
        .iter()
        .filter(|p| p.status == 429 && p.field_error("mobile").starts_with("操作过于频繁，请 "))
        .count();
    assert_eq!((sent, limited), (20, 80));
    let log = std::fs::read_to_string(app.settings.data_dir.join("outbox/sms.log")).unwrap();
    assert_eq!(log.matches("登录验证码").count(), 20, "{log}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sms_codes").await, 20);
    app.server.stop().await;
}

/// Forty wrong guesses at one code at once: exactly the five failures the
/// code allows are counted, and then even the right code is refused.
async fn guesses_at_once(backend: Backend) {
    let app = TestApp::new().backend(backend).spawn().await;
    let b = Browser::new(&app.base);
    let form = b.get("/signin").await;
    let sent = b.post(&form, "/signin/code", &[("mobile", MOBILE)]).await;
    let code = last_code(&app.settings.data_dir, MOBILE);
    let wrong: Vec<String> = (1..=40)
        .map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + i) % 1_000_000))
        .collect();
    let pages = futures_util::future::join_all(wrong.iter().map(|w| async {
        b.post(
            &sent,
            "/signin",
            &[("mobile", MOBILE), ("code", w.as_str()), ("next", "/me")],
        )
        .await
    }))
    .await;
    let code_error = |p: &common::browser::Page| p.texts("#code-error").concat();
    let wrong_left = pages
        .iter()
        .filter(|p| code_error(p).starts_with("验证码不正确，还可尝试"))
        .count();
    let locked = pages
        .iter()
        .filter(|p| code_error(p) == "验证码错误次数过多，请重新获取")
        .count();
    assert_eq!((wrong_left, locked), (4, 36));
    assert_eq!(app.scalar("SELECT failed_attempts FROM sms_codes").await, 5);
    let right = b
        .post(
            &sent,
            "/signin",
            &[("mobile", MOBILE), ("code", code.as_str()), ("next", "/me")],
        )
        .await;
    assert_eq!(right.field_error("code"), "验证码错误次数过多，请重新获取");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE holder_id IS NOT NULL")
            .await,
        0
    );
    app.server.stop().await;
}

on_both_databases!(
    upload_quotas,
    code_requests_at_once,
    guesses_at_once,
    sms_codes,
    handoff_refusals,
    other_holders_ids,
    uploads_and_forms
);

/// `next=` never leaves the site (issue 16, finding 3): the language switch
/// answers with a local Location, and the sign-in pages (holder and staff)
/// carry a local `next` into their forms, whatever bypass is tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_never_leaves_the_site() {
    let app = TestApp::new().spawn().await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for bypass in [
        "/%09/127.0.0.1:18700/",
        "//127.0.0.1:18700/",
        "/%5C127.0.0.1:18700/",
        "%5C/127.0.0.1:18700/",
        "/%0d%0a/127.0.0.1:18700/",
        "%2f%2f127.0.0.1:18700",
        "/%252f%252f127.0.0.1:18700",
        "/.//127.0.0.1:18700",
        "/%EF%BC%8F127.0.0.1:18700",
        "https://127.0.0.1:18700/",
    ] {
        let r = raw
            .get(format!("{}/lang/en?next={bypass}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{bypass}");
        assert_eq!(r.headers()["location"], "/me", "{bypass}");
        for (page, fallback) in [("/signin", "/me"), ("/admin/signin", "/admin")] {
            let form = Browser::new(&app.base)
                .get(&format!("{page}?next={bypass}"))
                .await;
            assert_eq!(
                form.attr("input[name=next]", "value"),
                fallback,
                "{page}?next={bypass}"
            );
        }
    }
    // A path on the site is kept.
    let r = raw
        .get(format!("{}/lang/en?next=/selfservice", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/selfservice");
    app.server.stop().await;
}

/// A PDF of about `size` bytes (padding after its end).
fn pdf_of(size: usize) -> Vec<u8> {
    let mut v = holder::pdf();
    v.resize(size, b' ');
    v
}

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        files_under(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Uploads are bounded per holder (issue 16, finding 5): a replaced file is
/// deleted, the holder's unfinished applications hold at most the quota in
/// bytes and files, uploads are rate-limited, a withdrawn application's files
/// are deleted, and only a few 在线新办 applications may be open at once.
async fn upload_quotas(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .configure(|s| {
            s.portal.upload_quota = ra::UploadQuota {
                bytes: 2_500_000,
                files: 3,
                per_hour: 46,
            }
        })
        .spawn()
        .await;
    let blobs = app.settings.data_dir.join("blobs");
    let (b, app_id, page) = common::flow::to_materials(&app, MOBILE).await;
    assert_eq!(files_under(&blobs), 3);

    // Forty replacements of one material leave one file and one row.
    for _ in 0..40 {
        let up = b
            .upload(
                &page,
                &format!("/apply/{app_id}/materials/business_license"),
                "执照.pdf",
                pdf_of(1_000_000),
            )
            .await;
        assert_eq!(up.status, 200, "{}", up.html);
    }
    assert_eq!(files_under(&blobs), 3, "replaced files are deleted");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM materials").await, 3);

    // Over the byte quota: refused, the material it would replace stays.
    let before = app.portal_snapshot().await;
    let refused = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/change_notice"),
            "通知.pdf",
            pdf_of(1_600_000),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#error-change_notice"),
        "已上传的材料已达上限（未完成的申请共 3 个文件、2 MB），请先提交或撤销其他申请"
    );
    assert_eq!(before, app.portal_snapshot().await);

    // Over the file quota: a fourth file, in a new 在线新办 draft.
    let selfservice = b.get("/selfservice/new").await;
    let draft = b
        .post(&selfservice, "/apply/new", &[("cert_type", "enterprise")])
        .await;
    let new_id = draft.path().split('/').nth(2).unwrap().to_string();
    assert_ne!(new_id, app_id);
    let before = app.portal_snapshot().await;
    let refused = b
        .upload(
            &draft,
            &format!("/apply/{new_id}/materials/business_license"),
            "执照.pdf",
            holder::pdf(),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused
            .text("#error-business_license")
            .starts_with("已上传的材料已达上限"),
        "{}",
        refused.text("#error-business_license")
    );
    assert_eq!(before, app.portal_snapshot().await);

    // The hour's uploads: 3 + 40 + 2 refused so far; one more passes, then none.
    let last = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/business_license"),
            "执照.pdf",
            holder::pdf(),
        )
        .await;
    assert_eq!(last.status, 200, "{}", last.html);
    let before = app.portal_snapshot().await;
    let limited = b
        .upload(
            &page,
            &format!("/apply/{app_id}/materials/business_license"),
            "执照.pdf",
            holder::pdf(),
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.html);
    assert!(
        limited
            .text("#error-business_license")
            .starts_with("操作过于频繁"),
        "{}",
        limited.text("#error-business_license")
    );
    assert_eq!(before, app.portal_snapshot().await);

    // Withdrawn: its files are deleted.
    let detail = b.get(&format!("/me/applications/{app_id}")).await;
    let cancelled = b
        .post(&detail, &format!("/me/applications/{app_id}/cancel"), &[])
        .await;
    assert!(cancelled.status < 400, "{}", cancelled.html);
    assert_eq!(
        app.text(&format!(
            "SELECT state FROM applications WHERE id = '{app_id}'"
        ))
        .await,
        "CANCELLED"
    );
    assert_eq!(files_under(&blobs.join("materials").join(&app_id)), 0);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM materials WHERE application_id = '{app_id}'"
        ))
        .await,
        0
    );

    // Five unfinished 在线新办 applications (seeded as waiting for payment):
    // a sixth is refused, nothing created.
    let holder_id = app
        .text(&format!(
            "SELECT holder_id FROM applications WHERE id = '{app_id}'"
        ))
        .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE applications SET state = 'PENDING_PAYMENT' WHERE id = '{new_id}'"
    )))
    .execute(app.server.authority.db().pool())
    .await
    .unwrap();
    for i in 0..4 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO applications (id, holder_id, business, cert_type, state, form, price_fen, created_at, updated_at, version) \
             VALUES ('seeded{i}', '{holder_id}', 'new', 'individual', 'PENDING_PAYMENT', '{{}}', 0, 1, 1, 1)"
        )))
        .execute(app.server.authority.db().pool())
        .await
        .unwrap();
    }
    let before = app.portal_snapshot().await;
    let refused = b
        .post(&selfservice, "/apply/new", &[("cert_type", "enterprise")])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_eq!(
        refused.error(),
        "您已有 5 个未完成的在线新办申请，请先完成或撤销后再新办"
    );
    assert_eq!(before, app.portal_snapshot().await);
    app.server.stop().await;
}
