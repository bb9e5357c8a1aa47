//! A new encryption key pair, escrowed and delivered enveloped to the
//! holder's signing key; the same task asked again; the key restored to a
//! new signing key; the key revoked. Every step on both databases.

use std::process::Command;

use der::Encode;
use pki::envelope::signed;
use pki::gmt0014::{self, Respond, RetKeyRespond};
use testkit::{Backend, on_both_databases};

use super::common::*;

/// gmssl (pure Python, written by nobody here) opens a GB/T 35276
/// SM2EnvelopedKey with the holder's private key: SM2-decrypts the SM4 key
/// (C1‖C3‖C2), SM4-ECB-decrypts the private key, and prints it with the
/// public key it computes from it. gmssl's `decrypt` does not check C3, so
/// the public key is the proof that what came out is right.
const GMSSL_OPEN: &str = r#"
import sys
from gmssl import sm2, sm4

def tlv(data, at):
    tag = data[at]; length = data[at + 1]; at += 2
    if length & 0x80:
        n = length & 0x7f
        length = int.from_bytes(data[at:at + n], 'big'); at += n
    return tag, data[at:at + length], at + length

envelope = bytes.fromhex(sys.argv[2])
tag, body, _ = tlv(envelope, 0)
assert tag == 0x30
_, _, at = tlv(body, 0)                      # symAlgID
tag, cipher, at = tlv(body, at)              # symEncryptedKey: SM2Cipher
assert tag == 0x30
tag, public, at = tlv(body, at)              # sm2PublicKey BIT STRING
assert tag == 0x03
tag, encrypted, at = tlv(body, at)           # sm2EncryptedPrivateKey BIT STRING
assert tag == 0x03
x, y, c3, c2 = [], [], None, None
_, xv, i = tlv(cipher, 0)
_, yv, i = tlv(cipher, i)
_, c3, i = tlv(cipher, i)
_, c2, i = tlv(cipher, i)
xv = xv[-32:].rjust(32, b'\0'); yv = yv[-32:].rjust(32, b'\0')

crypt = sm2.CryptSM2(private_key=sys.argv[1], public_key='', mode=1)
sm4_key = crypt.decrypt(xv + yv + c3 + c2)
assert len(sm4_key) == 16
box = sm4.CryptSM4(padding_mode=-1)
box.set_key(sm4_key, sm4.SM4_DECRYPT)
private = box.crypt_ecb(encrypted[1:])
point = crypt._kg(int(private.hex(), 16), sm2.default_ecc_table['g'])
print(private.hex(), '04' + point, public[1:].hex())
"#;

fn gmssl(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'gmssl'"),
        "Python's gmssl is missing: pip install gmssl (scripts/test installs it)"
    );
    assert!(output.status.success(), "gmssl failed: {stderr}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

pub(crate) fn ret_key(respond: &Respond) -> &RetKeyRespond {
    match respond {
        Respond::RetKey(r) | Respond::RestoreKey(r) => r,
        other => panic!("a key expected: {other:?}"),
    }
}

/// The private key the holder gets out, checked against the KMC's signature.
pub(crate) fn opened(ret: &RetKeyRespond, holder: &Holder, kmc_point: &[u8]) -> [u8; 32] {
    let public: [u8; 65] =
        pki::verify::sm2_point_of_spki(&ret.ret_pub_key.to_der().unwrap()).unwrap();
    let sealed = signed::read(&ret.ret_pri_key.to_der().unwrap(), &public).unwrap();
    assert_eq!(
        sealed.recipient,
        signed::IssuerAndSerialNumber::of_certificate(&holder.party.cert_der).unwrap(),
        "the envelope names the holder's signing certificate"
    );
    *sealed.open(&holder.secret, kmc_point).unwrap()
}

async fn a_key_pair_is_escrowed_delivered_restored_and_revoked(backend: Backend) {
    let ca = ca("SM2 CA");
    let running = kmc(backend, &ca).await;
    let kmc_point = pki::verify::sm2_point_of_spki(running.kmc.signing_spki()).unwrap();
    let holder = holder(&ca, "1001");

    let (status, answer) = post(&running, request(&ca, &ca, 7, vec![apply(&holder, "2001")])).await;
    assert_eq!(status, 200, "{answer:?}");
    assert_eq!(gmt0014::int_value(&answer.ks_respond.task_no).unwrap(), 7);
    let ret = ret_key(only(&answer)).clone();
    assert_eq!(gmt0014::serial_hex(&ret.user_cert_no).unwrap(), "2001");
    let private = opened(&ret, &holder, &kmc_point);
    let public = pki::verify::sm2_point_of_spki(&ret.ret_pub_key.to_der().unwrap()).unwrap();
    assert_eq!(pki::envelope::sm2_public_point(&private).unwrap(), public);

    // gmssl opens the same envelope as GB/T 35276 SM2EnvelopedKey.
    let sealed = signed::read(&ret.ret_pri_key.to_der().unwrap(), &public).unwrap();
    let enveloped_key = sealed.envelope.to_sm2_enveloped_key().unwrap();
    let line = gmssl(
        GMSSL_OPEN,
        &[&hex::encode(holder.secret), &hex::encode(&enveloped_key)],
    );
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        parts[0],
        hex::encode(private),
        "gmssl finds the same private key"
    );
    assert_eq!(
        parts[1],
        hex::encode(public),
        "of the public key the KMC returned"
    );
    assert_eq!(parts[2], hex::encode(public));

    // The same task again (signed again, a later requestTime): the same answer.
    let before = snapshot(&running).await;
    let (status, again) = post(&running, request(&ca, &ca, 7, vec![apply(&holder, "2001")])).await;
    assert_eq!(status, 200);
    assert_eq!(
        again, answer,
        "a task asked again gets the answer kept for it"
    );
    assert_eq!(
        snapshot(&running).await,
        before,
        "and nothing is made twice"
    );

    // A new signing key (在线补办) gets the old encryption key back.
    let new_holder = super::common::holder(&ca, "1002");
    let (status, restored) = post(
        &running,
        request(&ca, &ca, 8, vec![restore(&new_holder, "2001")]),
    )
    .await;
    assert_eq!(status, 200, "{restored:?}");
    assert!(matches!(only(&restored), Respond::RestoreKey(_)));
    assert_eq!(
        opened(ret_key(only(&restored)), &new_holder, &kmc_point),
        private
    );
    assert!(
        signed::read(
            &ret_key(only(&restored)).ret_pri_key.to_der().unwrap(),
            &public
        )
        .unwrap()
        .open(&holder.secret, &kmc_point)
        .is_err(),
        "the old signing key cannot open what was made for the new one"
    );

    // Revoked, twice: one change.
    let (status, revoked) = post(&running, request(&ca, &ca, 9, vec![revoke("2001")])).await;
    assert_eq!(status, 200);
    assert!(matches!(only(&revoked), Respond::RevokeKey(_)));
    let (status, _) = post(&running, request(&ca, &ca, 10, vec![revoke("2001")])).await;
    assert_eq!(status, 200);
    let snap = snapshot(&running).await;
    assert!(snap.contains("WHERE state = 'REVOKED' = 1"), "{snap}");

    // Every step in the KMC's own audit chain, which verifies.
    let mut conn = running.kmc.db().conn().await.unwrap();
    let verdict = store::audit::verify(&mut conn, running.kmc.db().audit_key().unwrap())
        .await
        .unwrap();
    assert!(
        matches!(verdict, store::audit::Verdict::Intact { .. }),
        "{verdict:?}"
    );
    let actions: Vec<String> = store::audit::recent(&mut conn, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["kmc.key.revoke", "kmc.key.restore", "kmc.key.escrow"]
    );

    // The escrowed key is not in the database in the clear.
    let row = store::kmc::key(&mut conn, &kmc::service::ca_id(&ca.cert()), "2001")
        .await
        .unwrap()
        .unwrap();
    assert!(!row.sealed_private.windows(32).any(|w| w == private));
}

on_both_databases!(a_key_pair_is_escrowed_delivered_restored_and_revoked);
