//! The assistant's SKF side against the software SKF key (libsoftskf.so):
//! keys listed beside PKCS#11 ones, SM2 key pairs made inside, CSRs that
//! OpenSSL verifies with the signer ID, PINs that lock and say 找回密码,
//! 找回密码 with the administrator PIN, a blank key initialised, seals as
//! files, a key pulled out mid-session, a library that is not SKF.
//!
//! libsoftskf reads `SOFTSKF_DIR` when called; each test runs itself again
//! in a child process with a devices directory of its own
//! (`testkit::softskf::in_own_process`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::process::Command;

use certhall_assistant::Error;
use certhall_assistant::token::{Drivers, Interface, KeyKind, Token};
use secrecy::SecretString;
use testkit::softskf::{ADMIN_PIN, PIN, RETRIES, in_own_process as own_process, library};

fn pin(s: &str) -> SecretString {
    SecretString::from(s)
}

/// The drivers with libsoftskf alone, and its one key, opened.
fn the_key() -> (Drivers, Token) {
    let drivers = Drivers::load(&[], &[library()]).unwrap();
    let keys = drivers.tokens().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let token = drivers.open(&keys[0].slot).unwrap();
    (drivers, token)
}

#[test]
fn an_sm2_key_pair_is_made_inside_and_its_csr_verifies_with_openssl() {
    own_process(
        "an_sm2_key_pair_is_made_inside_and_its_csr_verifies_with_openssl",
        |keys| {
            let device = keys.plug("ukey", "SKF-SERIAL-1");
            let drivers = Drivers::load(&[], &[library()]).unwrap();
            let listed = drivers.tokens().unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].interface, Interface::Skf);
            assert_eq!(listed[0].serial, "SKF-SERIAL-1");
            assert_eq!(listed[0].label, "ukey 国密 Key");
            assert_eq!(listed[0].pin_warning(), None);
            let token = drivers.open(&listed[0].slot).unwrap();
            assert_eq!(token.default_kind(), KeyKind::Sm2);
            token.login(&pin(PIN)).unwrap();
            // A P-256 or RSA pair is refused, nothing made.
            let before = keys.snapshot();
            let e = token.generate(KeyKind::P256, &[1; 16], "x").unwrap_err();
            assert!(e.to_string().contains("只生成 SM2"), "{e}");
            assert_eq!(keys.snapshot(), before);

            let key = token.generate(KeyKind::Sm2, &[7; 16], "pending").unwrap();
            assert_eq!(key.kind, KeyKind::Sm2);
            // Found again by id, with no certificate yet: pending.
            let found = token.key_by_id(&[7; 16]).unwrap().unwrap();
            assert!(found.label.starts_with("certhall-pending:"), "{found:?}");
            assert!(token.certificates().unwrap().is_empty());
            // The private key is not in any file the device keeps in clear:
            // softskf stores it, but never hands it out; what the assistant
            // gets is the public key.
            let spki = token.public_spki(&key).unwrap();
            let csr = certhall_assistant::csr::build(&token, &key, "certhall-assistant").unwrap();
            let dir = tempfile::tempdir().unwrap();
            let (csr_path, spki_path) = (dir.path().join("k.csr"), dir.path().join("k.spki"));
            std::fs::write(&csr_path, &csr).unwrap();
            std::fs::write(&spki_path, &spki).unwrap();
            let checked = openssl(&[
                "req",
                "-verify",
                "-vfyopt",
                "distid:1234567812345678",
                "-inform",
                "DER",
                "-in",
                csr_path.to_str().unwrap(),
                "-noout",
                "-text",
            ]);
            assert!(checked.contains("verify OK"), "{checked}");
            assert!(checked.contains("SM2-with-SM3"), "{checked}");
            assert!(checked.contains("ASN1 OID: SM2"), "{checked}");
            // The same request under a wrong signer ID is refused: the ID is
            // really in the signature.
            let wrong = Command::new("openssl")
                .args(["req", "-verify", "-vfyopt", "distid:0000000000000000"])
                .args([
                    "-inform",
                    "DER",
                    "-in",
                    csr_path.to_str().unwrap(),
                    "-noout",
                ])
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&wrong.stderr).into_owned()
                + &String::from_utf8_lossy(&wrong.stdout);
            assert!(
                !wrong.status.success() || said.contains("verify failure"),
                "{said}"
            );
            assert!(!said.contains("verify OK"), "{said}");
            // The key's public key as OpenSSL reads it: an SM2 point.
            let text = openssl(&[
                "pkey",
                "-pubin",
                "-inform",
                "DER",
                "-in",
                spki_path.to_str().unwrap(),
                "-noout",
                "-text",
            ]);
            assert!(text.contains("SM2"), "{text}");
            assert!(device.is_dir());
        },
    );
}

fn openssl(args: &[&str]) -> String {
    let o = Command::new("openssl").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "openssl {args:?}: {text}");
    text
}

#[test]
fn a_locked_pin_says_find_password_and_the_admin_pin_unblocks_it() {
    own_process(
        "a_locked_pin_says_find_password_and_the_admin_pin_unblocks_it",
        |keys| {
            keys.plug("ukey", "SKF-SERIAL-2");
            let (drivers, token) = the_key();
            let e = token.login(&pin("000000")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("PIN 不正确，还可尝试 {} 次", RETRIES - 1)
            );
            let info = &drivers.tokens().unwrap()[0];
            assert_eq!(info.pin_warning(), Some("PIN 剩余尝试次数不多，请谨慎输入"));
            for _ in 1..RETRIES - 1 {
                token.login(&pin("000000")).unwrap_err();
            }
            assert_eq!(
                drivers.tokens().unwrap()[0].pin_warning(),
                Some("PIN 只剩最后一次尝试机会，再错将被锁定")
            );
            let last = token.login(&pin("000000")).unwrap_err();
            assert!(matches!(last, Error::PinLocked), "{last:?}");
            assert!(last.to_string().contains("找回密码"), "{last}");
            // Locked: the right PIN is refused too, and says 找回密码.
            let right = token.login(&pin(PIN)).unwrap_err();
            assert!(right.to_string().contains("找回密码"), "{right}");
            assert!(!right.to_string().contains("不正确"), "{right}");
            // A wrong administrator PIN: refused, its tries said, the user
            // PIN still locked.
            let before = keys.snapshot();
            let wrong = token
                .reset_user_pin(&pin("11111111"), &pin("654321"))
                .unwrap_err();
            assert!(
                wrong.to_string().starts_with("PIN 不正确，还可尝试"),
                "{wrong}"
            );
            let after = keys.snapshot();
            // Only the administrator PIN's counter moved.
            assert_eq!(before.len(), after.len());
            assert!(token.login(&pin("654321")).is_err());
            // The administrator PIN (escrowed with the CA) sets a new one.
            token
                .reset_user_pin(&pin(ADMIN_PIN), &pin("654321"))
                .unwrap();
            assert!(token.login(&pin(PIN)).is_err());
            token.login(&pin("654321")).unwrap();
            assert_eq!(drivers.tokens().unwrap()[0].pin_warning(), None);
        },
    );
}

#[test]
fn an_rsa_only_key_is_told_it_cannot_hold_an_sm2_certificate() {
    own_process(
        "an_rsa_only_key_is_told_it_cannot_hold_an_sm2_certificate",
        |keys| {
            keys.plug_rsa_only("old", "SKF-RSA-1");
            let (_, token) = the_key();
            token.login(&pin(PIN)).unwrap();
            let before = keys.snapshot();
            let e = token.generate(KeyKind::Sm2, &[5; 16], "x").unwrap_err();
            assert!(
                e.to_string().contains("该证书介质不支持 SM2 算法")
                    && e.to_string().contains("请更换支持国密的 USB Key"),
                "{e}"
            );
            assert_eq!(keys.snapshot(), before, "no container made");
        },
    );
}

#[test]
fn a_second_login_to_the_same_key_shares_its_session() {
    own_process(
        "a_second_login_to_the_same_key_shares_its_session",
        |keys| {
            keys.plug("ukey", "SKF-SERIAL-6");
            let (drivers, signed_in) = the_key();
            signed_in.login(&pin(PIN)).unwrap();
            // 修改 PIN from the window while signed in: another token on the
            // same key logs in, changes the PIN, and is dropped.
            let slot = drivers.tokens().unwrap()[0].slot.clone();
            let other = drivers.open(&slot).unwrap();
            other.login(&pin(PIN)).unwrap();
            other.change_pin(&pin(PIN), &pin("654321")).unwrap();
            drop(other);
            // The first is still signed in: making a key pair needs the PIN.
            signed_in.generate(KeyKind::Sm2, &[6; 16], "a").unwrap();
            // A wrong login by a third token does not end the session.
            let third = drivers.open(&slot).unwrap();
            assert!(third.login(&pin("000000")).is_err());
            drop(third);
            assert_eq!(signed_in.keys().unwrap().len(), 1);
        },
    );
}

#[test]
fn a_blank_key_is_initialised_and_its_user_pin_set() {
    own_process("a_blank_key_is_initialised_and_its_user_pin_set", |keys| {
        keys.plug_blank("blank", "SKF-BLANK-1");
        let drivers = Drivers::load(&[], &[library()]).unwrap();
        // Blank: not offered as a key, offered to initialise.
        assert!(drivers.tokens().unwrap().is_empty());
        let slot = drivers.blank().unwrap().expect("the blank key is found");
        drivers.init(&slot, &pin(ADMIN_PIN), "ignored").unwrap();
        assert_eq!(drivers.serial_of(&slot).unwrap(), "SKF-BLANK-1");
        let token = drivers.open(&slot).unwrap();
        token.reset_user_pin(&pin(ADMIN_PIN), &pin(PIN)).unwrap();
        token.login(&pin(PIN)).unwrap();
        assert_eq!(drivers.tokens().unwrap().len(), 1);
        assert!(drivers.blank().unwrap().is_none());
        // Initialising it again is refused and changes nothing.
        let before = keys.snapshot();
        let e = drivers.init(&slot, &pin(ADMIN_PIN), "x").unwrap_err();
        assert!(e.to_string().contains("已有同名应用"), "{e}");
        assert_eq!(keys.snapshot(), before);
    });
}

#[test]
fn seals_are_files_written_new_before_old_and_carried_on_rekey() {
    own_process(
        "seals_are_files_written_new_before_old_and_carried_on_rekey",
        |keys| {
            keys.plug("ukey", "SKF-SERIAL-3");
            let (_, token) = the_key();
            token.login(&pin(PIN)).unwrap();
            let (old, new) = ([1u8; 16], [2u8; 16]);
            token.generate(KeyKind::Sm2, &old, "a").unwrap();
            token.generate(KeyKind::Sm2, &new, "b").unwrap();
            assert_eq!(token.read_seal(&old).unwrap(), None);
            let (first, second) = (b"\x89PNG first".to_vec(), b"\x89PNG second!".to_vec());
            token.write_seal(&old, &first).unwrap();
            assert_eq!(token.read_seal(&old).unwrap(), Some(first.clone()));
            token.write_seal(&old, &second).unwrap();
            assert_eq!(token.read_seal(&old).unwrap(), Some(second.clone()));
            // Written again: the same, nothing added.
            let before = keys.snapshot();
            token.write_seal(&old, &second).unwrap();
            assert_eq!(keys.snapshot(), before);
            token.carry_seal(&old, &new).unwrap();
            assert_eq!(token.read_seal(&old).unwrap(), None);
            assert_eq!(token.read_seal(&new).unwrap(), Some(second));
            // The old pair removed, its container gone; the new one stays.
            assert_eq!(token.delete_id(&old).unwrap(), 1);
            assert!(token.key_by_id(&old).unwrap().is_none());
            assert!(token.key_by_id(&new).unwrap().is_some());
        },
    );
}

#[test]
fn a_key_pulled_out_is_said_and_plugged_back_it_works() {
    own_process(
        "a_key_pulled_out_is_said_and_plugged_back_it_works",
        |keys| {
            keys.plug("ukey", "SKF-SERIAL-4");
            let (drivers, token) = the_key();
            token.login(&pin(PIN)).unwrap();
            token.generate(KeyKind::Sm2, &[3; 16], "a").unwrap();
            keys.pull("ukey");
            let e = token.keys().unwrap_err();
            assert!(matches!(e, Error::TokenRemoved), "{e:?}");
            assert_eq!(e.to_string(), "证书介质已被拔出，请插入后重试");
            assert!(drivers.tokens().unwrap().is_empty());
            // Another key in the same port: the old session is not its.
            keys.plug("ukey", "SKF-SERIAL-5");
            let listed = drivers.tokens().unwrap();
            assert_eq!(listed[0].serial, "SKF-SERIAL-5");
            let again = drivers.open(&listed[0].slot).unwrap();
            again.login(&pin(PIN)).unwrap();
            // The pulled key's token, dropped now, leaves this session be.
            drop(token);
            again.generate(KeyKind::Sm2, &[4; 16], "b").unwrap();
            assert_eq!(again.keys().unwrap().len(), 1);
        },
    );
}

#[test]
fn a_library_that_is_not_skf_is_named_with_what_it_lacks() {
    // Any shared library without the SKF functions: SoftHSM2's PKCS#11 module.
    let e = Drivers::load(&[], &[certhall_assistant::token::SOFTHSM_MODULE.into()])
        .err()
        .expect("refused");
    let text = e.to_string();
    assert!(text.contains("不是 SKF 驱动库"), "{text}");
    for symbol in [
        "SKF_EnumDev",
        "SKF_ConnectDev",
        "SKF_VerifyPIN",
        "SKF_ECCSignData",
    ] {
        assert!(text.contains(symbol), "{symbol}: {text}");
    }
    let missing = Drivers::load(&[], &["/nonexistent/libskf.so".into()])
        .err()
        .expect("refused")
        .to_string();
    assert!(missing.contains("/nonexistent/libskf.so"), "{missing}");
}

/// An SM2 certificate (signed by a throwaway key) for the public key `point`.
fn certificate_for(point: &[u8; 65]) -> Vec<u8> {
    use der::Decode;
    use pki::signer::Signer;
    let (issuer, _) = pki::signer::SoftwareKey::generate(pki::KeyAlgorithm::Sm2).unwrap();
    let name = pki::cert::name(&[(pki::oids::AT_COMMON_NAME, "加密证书")]).unwrap();
    let tbs = pki::cert::TbsTemplate {
        serial: domain::Serial::parse("0A").unwrap(),
        signature_algorithm: pki::KeyAlgorithm::Sm2.signature_algorithm(),
        issuer: name.clone(),
        not_before_ms: 1_700_000_000_000,
        not_after_ms: 2_000_000_000_000,
        subject: name,
        spki: spki::SubjectPublicKeyInfoOwned::from_der(&pki::signer::sm2_spki(point)).unwrap(),
        extensions: Vec::new(),
    }
    .encode()
    .unwrap();
    let signature = issuer.sign(&tbs).unwrap();
    pki::derw::signed(
        &tbs,
        &pki::KeyAlgorithm::Sm2.signature_algorithm_der(),
        &signature,
    )
}

/// 双证书 refused before anything is written: an encryption pair enveloped to
/// another key than the container's signing key (the key's own import
/// refuses it), and an encryption certificate for another key than the
/// envelope's (refused before the key is asked). The key is left as it was.
#[test]
fn an_encryption_pair_for_another_key_is_refused_and_nothing_is_written() {
    own_process(
        "an_encryption_pair_for_another_key_is_refused_and_nothing_is_written",
        |keys| {
            use base64::Engine;
            keys.plug("ukey", "SKF-SERIAL-9");
            let (_, token) = the_key();
            token.login(&pin(PIN)).unwrap();
            let key = token.generate(KeyKind::Sm2, &[9u8; 16], "p").unwrap();
            let issued = |envelope: &pki::envelope::KeyEnvelope, cert: &[u8]| api::Issued {
                application_id: "app".into(),
                serial: "01".into(),
                certificate_pem: String::new(),
                encryption: Some(api::EncryptionPair {
                    serial: "0A".into(),
                    certificate_pem: der::pem::encode_string(
                        "CERTIFICATE",
                        der::pem::LineEnding::LF,
                        cert,
                    )
                    .unwrap(),
                    envelope: base64::engine::general_purpose::STANDARD
                        .encode(envelope.to_skf_blob()),
                }),
            };
            let (_, stranger) = pki::envelope::generate_sm2().unwrap();
            let (encryption, encryption_point) = pki::envelope::generate_sm2().unwrap();
            let cert = certificate_for(&encryption_point);
            let before = keys.snapshot();

            let to_another = pki::envelope::KeyEnvelope::seal(&stranger, &encryption).unwrap();
            let e = certhall_assistant::pair::import(&token, &key, &issued(&to_another, &cert))
                .unwrap_err();
            assert!(
                e.to_string().starts_with("加密密钥对未能导入证书介质"),
                "{e}"
            );
            assert_eq!(keys.snapshot(), before);

            let signing = token.public_spki(&key).unwrap();
            let own_point = pki::verify::sm2_point_of_spki(&signing).unwrap();
            let ours = pki::envelope::KeyEnvelope::seal(&own_point, &encryption).unwrap();
            let other_cert = certificate_for(&stranger);
            let e = certhall_assistant::pair::import(&token, &key, &issued(&ours, &other_cert))
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                "服务器返回的加密证书与加密密钥不匹配，未写入"
            );
            assert_eq!(keys.snapshot(), before);

            // The right pair goes in.
            certhall_assistant::pair::import(&token, &key, &issued(&ours, &cert)).unwrap();
            assert_eq!(
                token.encryption_certificate(&[9u8; 16]).unwrap(),
                Some(cert)
            );
        },
    );
}
