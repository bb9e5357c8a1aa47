//! SM2 through the C interface, checked by outside implementations: the
//! `sm2` crate and Python's `gmssl` verify the key's signatures, `gmssl`
//! signs what the key verifies, and the `sm2` crate decrypts what the key
//! encrypts and encrypts what it decrypts.

use std::process::Command;

use sm2::dsa::signature::Verifier;
use sm2::dsa::{Signature, VerifyingKey};
use sm2::elliptic_curve::Generate;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};
use sm2::{PublicKey, SecretKey};
use sm4::cipher::{Array, BlockCipherEncrypt, KeyInit};

use crate::skf::*;

const MESSAGE: &[u8] = b"certhall: the holder signs this message";

/// A device with a logged-in application and a container holding a
/// signing key pair, whose public key blob is returned.
fn signing_container(device: &str) -> (Dev, App, Container, [u8; 132]) {
    device_with_app(device, 6);
    let (dev, app) = logged_in(device);
    let container = app.create_container("sign").unwrap();
    let key = container.generate().unwrap();
    (dev, app, container, key)
}

fn verifying_key(blob: &[u8], id: &str) -> VerifyingKey {
    let (x, y) = blob_point(blob);
    let sec1 = [&[0x04][..], &x, &y].concat();
    VerifyingKey::from_sec1_bytes(id, &sec1).unwrap()
}

fn signature(blob: &[u8; 128]) -> Signature {
    assert!(blob[..32].iter().chain(&blob[64..96]).all(|&b| b == 0));
    let r: [u8; 32] = blob[32..64].try_into().unwrap();
    let s: [u8; 32] = blob[96..128].try_into().unwrap();
    Signature::from_scalars(r, s).unwrap()
}

/// Runs Python with `gmssl`; the test fails, not skips, without it.
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

/// gmssl's `CryptSM2`, with the public key set after construction: its
/// constructor strips leading '0' and '4' characters along with an `04`
/// prefix, which would damage an x starting with them.
const GMSSL_VERIFY: &str = r#"
import sys
from gmssl import sm2
crypt = sm2.CryptSM2(private_key='', public_key='')
crypt.public_key = sys.argv[1]
print('valid' if crypt.verify_with_sm3(sys.argv[2], bytes.fromhex(sys.argv[3])) else 'invalid')
"#;

const GMSSL_SIGN: &str = r#"
import sys
from gmssl import sm2
crypt = sm2.CryptSM2(private_key=sys.argv[1], public_key='')
crypt.public_key = sys.argv[2]
print(crypt.sign_with_sm3(bytes.fromhex(sys.argv[3])))
"#;

#[test]
fn a_signature_of_the_key_verifies_with_the_sm2_crate_and_gmssl() {
    let (dev, _app, container, key) = signing_container("sm2-sign");
    assert_eq!(container.public_key(true).unwrap(), key);
    assert_eq!(container.kind(), Ok(2));

    let digest = dev.signing_digest(&key, MESSAGE).unwrap();
    let signed = container.sign(&digest).unwrap();

    // The sm2 crate: a plain SM2 signature of the message, default ID.
    verifying_key(&key, "1234567812345678")
        .verify(MESSAGE, &signature(&signed))
        .unwrap();

    // gmssl: r ‖ s in hex, Z with the default ID computed on its side.
    let (x, y) = blob_point(&key);
    let rs = hex::encode([&signed[32..64], &signed[96..128]].concat());
    let public = hex::encode([x, y].concat());
    assert_eq!(
        gmssl(GMSSL_VERIFY, &[&public, &rs, &hex::encode(MESSAGE)]),
        "valid"
    );

    // And the key's own check, which refuses an altered digest.
    dev.verify(&key, &digest, &signed).unwrap();
    let mut altered = digest;
    altered[0] ^= 1;
    assert_eq!(dev.verify(&key, &altered, &signed), Err(SAR_FAIL));
    assert_eq!(
        dev.verify(&key, &digest[..31], &signed),
        Err(SAR_INDATALENERR)
    );
}

#[test]
fn a_gmssl_signature_verifies_in_the_key() {
    device_with_app("sm2-gmssl", 6);
    let dev = Dev::connect("sm2-gmssl").unwrap();
    let secret = SecretKey::try_generate().unwrap();
    let point = secret.public_key().to_sec1_point(false);
    let public = &point.as_bytes()[1..];
    let blob = point_blob(&public[..32], &public[32..]);

    let rs = gmssl(
        GMSSL_SIGN,
        &[
            &hex::encode(secret.to_bytes()),
            &hex::encode(public),
            &hex::encode(MESSAGE),
        ],
    );
    let rs = hex::decode(rs).unwrap();
    let mut signed = [0u8; 128];
    signed[32..64].copy_from_slice(&rs[..32]);
    signed[96..128].copy_from_slice(&rs[32..]);

    let digest = dev.signing_digest(&blob, MESSAGE).unwrap();
    dev.verify(&blob, &digest, &signed).unwrap();
    // SKF_ExtECCVerify is the same check.
    // SAFETY: blobs of their sizes and the digest's bytes.
    let code = unsafe {
        (skf().SKF_ExtECCVerify)(dev.0, blob.as_ptr(), digest.as_ptr(), 32, signed.as_ptr())
    };
    assert_eq!(code, SAR_OK);
}

#[test]
fn a_digest_with_an_id_in_parts_is_the_one_the_sm2_crate_signs_with() {
    let (dev, _app, container, key) = signing_container("sm2-id");
    let id = b"ALICE123@YAHOO.COM";

    let hash = dev.digest_init(Some(&key), Some(id)).unwrap();
    for part in MESSAGE.chunks(7) {
        // SAFETY: the part's bytes.
        let code = unsafe { (skf().SKF_DigestUpdate)(hash, part.as_ptr(), part.len() as u32) };
        assert_eq!(code, SAR_OK);
    }
    let mut digest = [0u8; 32];
    let mut len = 32u32;
    // SAFETY: a 32-byte buffer.
    let code = unsafe { (skf().SKF_DigestFinal)(hash, digest.as_mut_ptr(), &mut len) };
    assert_eq!((code, len), (SAR_OK, 32));
    // The hash is finished: more data is refused until it is closed.
    // SAFETY: the message's bytes.
    let more = unsafe { (skf().SKF_DigestUpdate)(hash, MESSAGE.as_ptr(), 1) };
    assert_eq!(more, SAR_HASHOBJERR);
    close_handle(hash).unwrap();
    assert_eq!(close_handle(hash), Err(SAR_INVALIDHANDLEERR));

    let signed = container.sign(&digest).unwrap();
    verifying_key(&key, "ALICE123@YAHOO.COM")
        .verify(MESSAGE, &signature(&signed))
        .unwrap();

    // Without a key, a plain SM3.
    let plain = dev.digest_init(None, None).unwrap();
    assert_eq!(
        hex::encode(digest_of(plain, b"abc")),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
}

fn digest_of(hash: Handle, data: &[u8]) -> [u8; 32] {
    let out = digest(hash, data).unwrap();
    close_handle(hash).unwrap();
    out
}

#[test]
fn certificates_round_trip_in_both_slots() {
    let (_dev, _app, container, _key) = signing_container("sm2-certs");
    assert_eq!(container.certificate(true), Err(SAR_CERTNOTFOUNTERR));
    assert_eq!(container.certificate(false), Err(SAR_CERTNOTFOUNTERR));

    let sign_cert = vec![0x30; 700];
    let enc_cert = vec![0x31; 650];
    container.import_certificate(true, &sign_cert).unwrap();
    container.import_certificate(false, &enc_cert).unwrap();
    assert_eq!(container.certificate(true).unwrap(), sign_cert);
    assert_eq!(container.certificate(false).unwrap(), enc_cert);

    // A new signing key pair makes the old signing certificate meaningless.
    container.generate().unwrap();
    assert_eq!(container.certificate(true), Err(SAR_CERTNOTFOUNTERR));
    assert_eq!(container.certificate(false).unwrap(), enc_cert);
}

#[test]
fn what_the_key_encrypts_the_sm2_crate_decrypts() {
    device_with_app("sm2-encrypt", 6);
    let dev = Dev::connect("sm2-encrypt").unwrap();
    let secret = SecretKey::try_generate().unwrap();
    let blob = public_blob(&secret.public_key());

    let cipher_blob = dev.encrypt(&blob, b"a 16-byte secret").unwrap();
    assert_eq!(
        u32::from_le_bytes(cipher_blob[160..164].try_into().unwrap()),
        16
    );
    let decrypter = DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), Mode::C1C3C2);
    let plain = decrypter.decrypt(&c1c3c2(&cipher_blob)).unwrap();
    assert_eq!(plain, b"a 16-byte secret");
}

/// A KMC's delivery of an encryption key pair, as GM/T 0016's
/// `ENVELOPEDKEYBLOB`, built here from the `sm2` and `sm4` crates.
fn envelope(
    dev: Dev,
    signing_key: &[u8; 132],
    encryption: &SecretKey,
    whole_field: bool,
) -> Vec<u8> {
    let mut sm4_key = [0u8; 16];
    getrandom::fill(&mut sm4_key).unwrap();
    let cipher = sm4::Sm4::new(&Array::from(sm4_key));
    // The private key right-aligned in 64 bytes; some KMCs encrypt the
    // whole field, others only the key.
    let mut field = [0u8; 64];
    field[32..].copy_from_slice(&encryption.to_bytes());
    let start = if whole_field { 0 } else { 32 };
    for block in field[start..].chunks_exact_mut(16) {
        let mut array = Array::from(<[u8; 16]>::try_from(&*block).unwrap());
        cipher.encrypt_block(&mut array);
        block.copy_from_slice(&array);
    }
    let wrapped = dev.encrypt(signing_key, &sm4_key).unwrap();

    let mut blob = Vec::new();
    blob.extend_from_slice(&1u32.to_le_bytes());
    blob.extend_from_slice(&SGD_SM4_ECB.to_le_bytes());
    blob.extend_from_slice(&256u32.to_le_bytes());
    blob.extend_from_slice(&field);
    blob.extend_from_slice(&public_blob(&encryption.public_key()));
    blob.extend_from_slice(&wrapped);
    assert_eq!(blob.len(), 388);
    blob
}

#[test]
fn a_kmc_key_pair_is_imported_and_decrypts_inside() {
    let (dev, _app, container, signing_key) = signing_container("sm2-kmc");
    assert_eq!(container.public_key(false), Err(SAR_KEYNOTFOUNTERR));

    let encryption = SecretKey::try_generate().unwrap();
    container
        .import_key_pair(&envelope(dev, &signing_key, &encryption, false))
        .unwrap();
    assert_eq!(
        container.public_key(false).unwrap(),
        public_blob(&encryption.public_key())
    );

    // A message to the encryption key decrypts inside, by the size protocol.
    let encrypter = EncryptingKey::new_with_mode(encryption.public_key(), Mode::C1C3C2);
    let message = b"session key for the holder";
    let raw = encrypter.encrypt(&mut getrandom::SysRng, message).unwrap();
    assert_eq!(container.decrypt(&cipher_blob(&raw)).unwrap(), message);

    // The signing key does not decrypt: a message to it is refused.
    let to_signing = dev.encrypt(&signing_key, message).unwrap();
    assert_eq!(container.decrypt(&to_signing), Err(SAR_INDATAERR));

    // The other convention (all 64 bytes encrypted) imports as well.
    let again = SecretKey::try_generate().unwrap();
    container
        .import_key_pair(&envelope(dev, &signing_key, &again, true))
        .unwrap();
    assert_eq!(
        container.public_key(false).unwrap(),
        public_blob(&again.public_key())
    );
}

#[test]
fn an_envelope_whose_key_does_not_match_is_refused() {
    let (dev, _app, container, signing_key) = signing_container("sm2-kmc-bad");
    let encryption = SecretKey::try_generate().unwrap();
    let mut blob = envelope(dev, &signing_key, &encryption, false);
    let other = public_blob(&SecretKey::try_generate().unwrap().public_key());
    blob[76..208].copy_from_slice(&other);
    assert_eq!(container.import_key_pair(&blob), Err(SAR_INDATAERR));
    assert_eq!(container.public_key(false), Err(SAR_KEYNOTFOUNTERR));

    // Wrapped to another key than the container's signing key.
    let stranger = public_blob(&SecretKey::try_generate().unwrap().public_key());
    let blob = envelope(dev, &stranger, &encryption, false);
    assert_eq!(container.import_key_pair(&blob), Err(SAR_INDATAERR));
}

#[test]
fn session_keys_encrypt_and_decrypt_sm4() {
    device_with_app("sm2-sm4", 6);
    let dev = Dev::connect("sm2-sm4").unwrap();
    let key = [7u8; 16];
    let mut handle = std::ptr::null_mut();
    // SAFETY: a 16-byte key and a live output handle.
    let code = unsafe { (skf().SKF_SetSymmKey)(dev.0, key.as_ptr(), SGD_SM4_ECB, &mut handle) };
    assert_eq!(code, SAR_OK);
    let ecb = BlockCipherParam {
        iv: [0; 32],
        iv_len: 0,
        padding_type: 0,
        feed_bit_len: 0,
    };
    // SAFETY: the parameter by value.
    assert_eq!(unsafe { (skf().SKF_EncryptInit)(handle, ecb) }, SAR_OK);
    let out = fetch(|buf, len| {
        // SAFETY: 16 input bytes; `buf` is null or holds `*len` bytes.
        unsafe { (skf().SKF_Encrypt)(handle, [1u8; 16].as_ptr(), 16, buf, len) }
    })
    .unwrap();
    assert_eq!(out, sm4_ecb(&key, [1; 16]));
    // One call ends the operation.
    let mut len = 16u32;
    let mut again = [0u8; 16];
    // SAFETY: as above.
    let code = unsafe {
        (skf().SKF_Encrypt)(handle, [1u8; 16].as_ptr(), 16, again.as_mut_ptr(), &mut len)
    };
    assert_eq!(code, 0x0A00_000C, "SAR_NOTINITIALIZEERR");
    close_handle(handle).unwrap();

    // CBC with PKCS#5 padding, there and back.
    let mut cbc = std::ptr::null_mut();
    // SAFETY: a 16-byte key and a live output handle.
    let code = unsafe { (skf().SKF_SetSymmKey)(dev.0, key.as_ptr(), SGD_SM4_CBC, &mut cbc) };
    assert_eq!(code, SAR_OK);
    let mut param = BlockCipherParam {
        iv: [0; 32],
        iv_len: 16,
        padding_type: 1,
        feed_bit_len: 0,
    };
    param.iv[..16].copy_from_slice(&[9; 16]);
    let message = b"twenty-one bytes long";
    // SAFETY: the parameter by value.
    assert_eq!(unsafe { (skf().SKF_EncryptInit)(cbc, param) }, SAR_OK);
    let encrypted = fetch(|buf, len| {
        // SAFETY: the message's bytes; `buf` is null or holds `*len` bytes.
        unsafe { (skf().SKF_Encrypt)(cbc, message.as_ptr(), message.len() as u32, buf, len) }
    })
    .unwrap();
    assert_eq!(encrypted.len(), 32);
    // SAFETY: the parameter by value.
    assert_eq!(unsafe { (skf().SKF_DecryptInit)(cbc, param) }, SAR_OK);
    let decrypted = fetch(|buf, len| {
        // SAFETY: the ciphertext's bytes; `buf` is null or holds `*len`
        // bytes.
        unsafe { (skf().SKF_Decrypt)(cbc, encrypted.as_ptr(), 32, buf, len) }
    })
    .unwrap();
    assert_eq!(decrypted, message);
    close_handle(cbc).unwrap();
}

fn public_blob(key: &PublicKey) -> [u8; 132] {
    let point = key.to_sec1_point(false);
    let xy = &point.as_bytes()[1..];
    point_blob(&xy[..32], &xy[32..])
}

/// `04 ‖ x ‖ y ‖ C3 ‖ C2` of an `ECCCIPHERBLOB`'s bytes.
fn c1c3c2(blob: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(blob[160..164].try_into().unwrap()) as usize;
    assert!(blob[..32].iter().chain(&blob[64..96]).all(|&b| b == 0));
    [
        &[0x04][..],
        &blob[32..64],
        &blob[96..128],
        &blob[128..160],
        &blob[164..164 + len],
    ]
    .concat()
}

/// The `ECCCIPHERBLOB` of `04 ‖ x ‖ y ‖ C3 ‖ C2`.
fn cipher_blob(raw: &[u8]) -> Vec<u8> {
    let (x, y, c3, c2) = (&raw[1..33], &raw[33..65], &raw[65..97], &raw[97..]);
    let mut blob = vec![0u8; 164];
    blob[32..64].copy_from_slice(x);
    blob[96..128].copy_from_slice(y);
    blob[128..160].copy_from_slice(c3);
    blob[160..164].copy_from_slice(&(c2.len() as u32).to_le_bytes());
    blob.extend_from_slice(c2);
    blob
}
