//! 在线延期 keeping the encryption key (`[kmc] renewal_new_encryption_key =
//! false`): the CA asks for the escrowed key of the old encryption
//! certificate, enveloped to the renewed signing key, with a record naming
//! the new encryption certificate's number; the KMC delivers the same key
//! and escrows it again under that number, so the old number's revocation
//! leaves the new one's escrow standing. Refused, with the key rows
//! unchanged: a number escrowed already, a malformed number, a revoked key.

use kmc::err;
use pki::gmt0014::{self, Request};
use testkit::{Backend, on_both_databases};

use super::common::*;
use super::delivery::{opened, ret_key};

/// RestoreKeyReq of `old` to `holder`'s key, renewed as `new_number`.
fn renewal(holder: &Holder, old: &str, new_number: &str) -> Request {
    let mut req = restore(holder, old);
    if let Request::RestoreKey(r) = &mut req {
        let record = format!(r#"{{"kind":"renewal","cert_no":"{new_number}"}}"#);
        r.app_user_info.user_name = Some(der::asn1::OctetString::new(record.into_bytes()).unwrap());
    }
    req
}

async fn keys(running: &Running) -> Vec<(String, String, Vec<u8>)> {
    sqlx::query_as("SELECT user_cert_no, state, public_key FROM kmc_keys ORDER BY user_cert_no")
        .fetch_all(running.kmc.db().pool())
        .await
        .unwrap()
}

async fn a_renewal_keeps_the_key_under_the_new_number(backend: Backend) {
    let ca = ca("SM2 CA");
    let running = kmc(backend, &ca).await;
    let kmc_point = pki::verify::sm2_point_of_spki(running.kmc.signing_spki()).unwrap();
    let old_holder = holder(&ca, "1001");
    let (status, answer) = post(
        &running,
        request(&ca, &ca, 1, vec![apply(&old_holder, "2001")]),
    )
    .await;
    assert_eq!(status, 200);
    let first = opened(ret_key(only(&answer)), &old_holder, &kmc_point);

    // The renewed signing key (a new one, in the same USB key) gets the same
    // encryption key, enveloped to it.
    let new_holder = holder(&ca, "1002");
    let (status, answer) = post(
        &running,
        request(&ca, &ca, 2, vec![renewal(&new_holder, "2001", "2002")]),
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
    let ret = ret_key(only(&answer));
    assert!(matches!(only(&answer), gmt0014::Respond::RestoreKey(_)));
    assert_eq!(gmt0014::serial_hex(&ret.user_cert_no).unwrap(), "2001");
    assert_eq!(opened(ret, &new_holder, &kmc_point), first, "the same key");
    let rows = keys(&running).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("2002", "ACTIVE"));
    assert_eq!(rows[0].2, rows[1].2, "one key pair under both numbers");
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'kmc.key.renewal'")
            .fetch_one(running.kmc.db().pool())
            .await
            .unwrap();
    assert_eq!(audited, 1);

    // The old certificate is revoked (superseded): its number's escrow is,
    // the new number's stands and is restored as its own.
    let (status, _) = post(&running, request(&ca, &ca, 3, vec![revoke("2001")])).await;
    assert_eq!(status, 200);
    let (status, answer) = post(
        &running,
        request(&ca, &ca, 4, vec![restore(&new_holder, "2002")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        opened(ret_key(only(&answer)), &new_holder, &kmc_point),
        first
    );
    let rows = keys(&running).await;
    assert_eq!(
        rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        ["REVOKED", "ACTIVE"]
    );

    // Refused inside a good request; no key row made or changed.
    let before = keys(&running).await;
    for (task, req, code, words) in [
        (
            5,
            renewal(&new_holder, "2002", "2002"),
            err::ALREADY_ESCROWED,
            "加密证书序列号 2002 已有托管密钥".to_string(),
        ),
        (
            6,
            renewal(&new_holder, "2002", "20x3"),
            err::BAD_REQUEST,
            "续期记录中的新加密证书序列号不合法（应为大写十六进制正整数）".to_string(),
        ),
        (
            7,
            renewal(&new_holder, "2002", "0a03"),
            err::BAD_REQUEST,
            "续期记录中的新加密证书序列号不合法（应为大写十六进制正整数）".to_string(),
        ),
        (
            8,
            renewal(&new_holder, "2001", "2003"),
            err::BAD_REQUEST,
            "加密证书序列号 2001 的密钥已吊销，不能再次认证".to_string(),
        ),
    ] {
        let (status, answer) = post(&running, request(&ca, &ca, task, vec![req])).await;
        assert_eq!(status, 200);
        assert_eq!(error_of(only(&answer)), (code, words));
        assert_eq!(keys(&running).await, before, "task {task}");
    }
}

on_both_databases!(a_renewal_keeps_the_key_under_the_new_number);
