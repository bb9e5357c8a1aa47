//! What the KMC refuses, each with its status, its signed ErrorPkgRespond and
//! the KMC's database unchanged: a malformed DER request, a CA it does not
//! serve, a signature that does not verify, a task number used before for
//! other content; and, within a good request, a holder key that is not SM2
//! and a certificate number escrowed before.

use kmc::err;
use pki::gmt0014::Respond;
use testkit::{Backend, on_both_databases};

use super::common::*;

async fn bad_requests_are_refused_and_change_nothing(backend: Backend) {
    let ca = ca("SM2 CA");
    let running = kmc(backend, &ca).await;
    let holder = holder(&ca, "1001");
    let (status, _) = post(&running, request(&ca, &ca, 1, vec![apply(&holder, "2001")])).await;
    assert_eq!(status, 200);
    let before = snapshot(&running).await;

    // Malformed DER: cut short, and not DER at all.
    let good = request(&ca, &ca, 2, vec![apply(&holder, "2002")]);
    for body in [
        good[..good.len() - 3].to_vec(),
        b"hello".to_vec(),
        Vec::new(),
    ] {
        let (status, answer) = post(&running, body).await;
        assert_eq!(status, 400);
        let (code, cause) = error_of(only(&answer));
        assert_eq!(code, err::MALFORMED);
        assert!(
            cause.starts_with("请求不是 GM/T 0014 的 CARequest"),
            "{cause}"
        );
    }
    assert_eq!(snapshot(&running).await, before);

    // A CA the KMC does not serve, signing as itself.
    let stranger = super::common::ca("Another CA");
    let (status, answer) = post(
        &running,
        request(&stranger, &stranger, 2, vec![apply(&holder, "2002")]),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        error_of(only(&answer)),
        (
            err::UNKNOWN_CA,
            "未知的 CA：本 KMC 未配置该 CA 的证书".to_string()
        )
    );
    assert_eq!(gmt0014_task(&answer), 2);
    assert_eq!(snapshot(&running).await, before);

    // Our CA's name, another key's signature.
    let (status, answer) = post(
        &running,
        request(&ca, &stranger, 2, vec![apply(&holder, "2002")]),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        error_of(only(&answer)),
        (err::SIGNATURE, "签名验证失败".to_string())
    );
    assert_eq!(snapshot(&running).await, before);

    // Task 1 again, for another certificate.
    let (status, answer) = post(&running, request(&ca, &ca, 1, vec![apply(&holder, "2009")])).await;
    assert_eq!(status, 409);
    assert_eq!(
        error_of(only(&answer)),
        (
            err::TASK_REUSED,
            "任务号 1 已用于另一内容的请求".to_string()
        )
    );
    assert_eq!(snapshot(&running).await, before);

    // Inside a good request: the number 2001 escrowed already. The task is
    // answered (and kept), the key is not made again.
    let (status, answer) = post(&running, request(&ca, &ca, 3, vec![apply(&holder, "2001")])).await;
    assert_eq!(status, 200);
    assert_eq!(
        error_of(only(&answer)),
        (
            err::ALREADY_ESCROWED,
            "加密证书序列号 2001 已有托管密钥".to_string()
        )
    );
    let after = snapshot(&running).await;
    assert!(after.contains("FROM kmc_keys = 1\n"), "{after}");

    // A holder key that is not SM2 (a P-256 key).
    let (p256, _) = pki::signer::SoftwareKey::generate(pki::KeyAlgorithm::P256).unwrap();
    let mut not_sm2 = super::common::holder(&ca, "1003");
    not_sm2.party.cert_der = certify(
        Some(&ca),
        &ca.key,
        pki::signer::Signer::spki_der(&p256),
        "李四",
        "1003",
    );
    let mut req = apply(&not_sm2, "2003");
    if let pki::gmt0014::Request::ApplyKey(a) = &mut req {
        a.app_user_info.user_pub_key = <spki::SubjectPublicKeyInfoOwned as der::Decode>::from_der(
            pki::signer::Signer::spki_der(&p256),
        )
        .unwrap();
    }
    let (status, answer) = post(&running, request(&ca, &ca, 4, vec![req])).await;
    assert_eq!(status, 200);
    assert_eq!(
        error_of(only(&answer)),
        (err::ALGORITHM, "用户签名公钥不是 SM2 公钥".to_string())
    );
    assert!(matches!(only(&answer), Respond::Error(_)));
    assert!(snapshot(&running).await.contains("FROM kmc_keys = 1\n"));
}

fn gmt0014_task(answer: &pki::gmt0014::KmRespond) -> u64 {
    pki::gmt0014::int_value(&answer.ks_respond.task_no).unwrap()
}

on_both_databases!(bad_requests_are_refused_and_change_nothing);
