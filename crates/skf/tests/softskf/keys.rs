//! SM2 inside the key: keys made inside, the signing digest by the key and
//! in software, signatures checked by the `sm2` crate, certificates in both
//! slots, and a KMC's encryption key pair imported and used.

use skf::{EnvelopedKey, Sm2PublicKey, z};
use sm2::dsa::signature::Verifier;
use sm2::dsa::{Signature, VerifyingKey};
use sm2::elliptic_curve::Generate;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::pke::{DecryptingKey, Mode};
use sm2::{PublicKey, SecretKey};
use sm4::cipher::{Array, BlockCipherEncrypt, KeyInit};

use crate::common::{device_with_app, library, logged_in};

const MESSAGE: &[u8] = b"certhall: the holder signs this request";

#[test]
fn a_signature_made_inside_verifies_with_the_sm2_crate() {
    device_with_app("keys-sign", 6);
    let library = library();
    let device = library.connect("keys-sign").unwrap();
    let app = logged_in(&device);
    let container = app.create_container("sign").unwrap();
    let key = container.gen_sm2_key().unwrap();
    assert_eq!(container.public_key(true).unwrap(), key);
    assert_eq!(app.containers().unwrap(), ["sign"]);

    // The digest with Z, by the key and in software, agree.
    let by_key = device
        .digest_in_library(&key, z::DEFAULT_ID, MESSAGE)
        .unwrap();
    let in_software = z::digest_for_signing(&key, z::DEFAULT_ID, MESSAGE).unwrap();
    assert_eq!(by_key, in_software);
    let other_id = b"alice@example.cn";
    assert_eq!(
        device.digest_in_library(&key, other_id, MESSAGE).unwrap(),
        z::digest_for_signing(&key, other_id, MESSAGE).unwrap()
    );
    assert_eq!(
        container
            .sm3_digest_for_signing(z::DEFAULT_ID, MESSAGE)
            .unwrap(),
        by_key
    );

    let signature = container.sign_digest(&by_key).unwrap();
    device.verify_digest(&key, &by_key, &signature).unwrap();

    // The DER form, as X.509 carries it, verifies over the message.
    let verifying =
        VerifyingKey::from_sec1_bytes("1234567812345678", &key.to_sec1_uncompressed()).unwrap();
    let der = signature.to_der();
    let parsed = Signature::from_der(&der).unwrap();
    assert_eq!(parsed.to_der().as_bytes(), der.as_slice());
    verifying.verify(MESSAGE, &parsed).unwrap();

    let again = container.sign_message(z::DEFAULT_ID, MESSAGE).unwrap();
    verifying
        .verify(MESSAGE, &Signature::from_der(&again.to_der()).unwrap())
        .unwrap();
    assert!(verifying.verify(b"another message", &parsed).is_err());
}

#[test]
fn certificates_round_trip_in_both_slots() {
    device_with_app("keys-certs", 6);
    let library = library();
    let device = library.connect("keys-certs").unwrap();
    let app = logged_in(&device);
    let container = app.create_container("pair").unwrap();
    container.gen_sm2_key().unwrap();
    assert_eq!(container.export_certificate(true).unwrap(), None);
    assert_eq!(container.export_certificate(false).unwrap(), None);

    let sign_cert: Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
    let enc_cert = vec![0x30; 700];
    container.import_certificate(true, &sign_cert).unwrap();
    container.import_certificate(false, &enc_cert).unwrap();
    drop(container);

    let container = app.open_container("pair").unwrap();
    assert_eq!(container.export_certificate(true).unwrap(), Some(sign_cert));
    assert_eq!(container.export_certificate(false).unwrap(), Some(enc_cert));
    assert_eq!(container.kind().unwrap(), skf::ContainerKind::Ecc);
    drop(container);
    app.delete_container("pair").unwrap();
    assert!(app.containers().unwrap().is_empty());
}

#[test]
fn a_kmc_key_pair_is_imported_and_decrypts() {
    device_with_app("keys-kmc", 6);
    let library = library();
    let device = library.connect("keys-kmc").unwrap();
    let app = logged_in(&device);
    let container = app.create_container("dual").unwrap();
    let signing = container.gen_sm2_key().unwrap();

    let encryption = SecretKey::try_generate().unwrap();
    let envelope = envelope(&device, &signing, &encryption);
    container.import_enveloped_key(&envelope).unwrap();
    assert_eq!(container.public_key(false).unwrap(), envelope.public_key);

    // What the key encrypts to the encryption key, the sm2 crate decrypts,
    // and the key decrypts inside.
    let secret = b"a session key for the holder";
    let cipher = device.encrypt_to(&envelope.public_key, secret).unwrap();
    assert_eq!(cipher.cipher.len(), secret.len());
    let c1c3c2 = [
        &[0x04][..],
        &cipher.x,
        &cipher.y,
        &cipher.hash,
        &cipher.cipher,
    ]
    .concat();
    let decrypter = DecryptingKey::new_with_mode(encryption.to_nonzero_scalar(), Mode::C1C3C2);
    assert_eq!(decrypter.decrypt(&c1c3c2).unwrap(), secret);
    assert_eq!(container.decrypt(&cipher).unwrap(), secret);
}

/// A KMC's envelope: the encryption private key under a fresh SM4 key (the
/// `sm4` crate), that key encrypted to the signing key by the device.
fn envelope(
    device: &skf::Device<'_>,
    signing: &Sm2PublicKey,
    encryption: &SecretKey,
) -> EnvelopedKey {
    let sm4_key: [u8; 16] = device.random(16).unwrap().try_into().unwrap();
    let cipher = sm4::Sm4::new(&Array::from(sm4_key));
    let mut encrypted_private_key = [0u8; 64];
    encrypted_private_key[32..].copy_from_slice(&encryption.to_bytes());
    for block in encrypted_private_key[32..].chunks_exact_mut(16) {
        let mut array = Array::from(<[u8; 16]>::try_from(&*block).unwrap());
        cipher.encrypt_block(&mut array);
        block.copy_from_slice(&array);
    }
    EnvelopedKey {
        version: 1,
        symmetric_algorithm: 0x401,
        bits: 256,
        encrypted_private_key,
        public_key: public_key(&encryption.public_key()),
        wrapped_key: device.encrypt_to(signing, &sm4_key).unwrap(),
    }
}

fn public_key(key: &PublicKey) -> Sm2PublicKey {
    let point = key.to_sec1_point(false);
    let xy = &point.as_bytes()[1..];
    Sm2PublicKey {
        x: xy[..32].try_into().unwrap(),
        y: xy[32..].try_into().unwrap(),
    }
}
