//! Keys behind one trait: the CA signs with whatever holds its key, in software
//! (sealed at rest, see `keywrap`) or in a PKCS#11 HSM.

mod pkcs11;
mod software;

use der::Decode;
use sha1::{Digest, Sha1};
use spki::SubjectPublicKeyInfoOwned;

pub use pkcs11::SEALED_MAGIC as TOKEN_SEALED_MAGIC;
pub use pkcs11::{Pkcs11Key, Token, TokenConfig, key_pair_template};
pub use software::SoftwareKey;

use crate::{KeyAlgorithm, PkiError};

pub trait Signer: Send + Sync {
    fn algorithm(&self) -> KeyAlgorithm;
    /// The public key as a DER SubjectPublicKeyInfo.
    fn spki_der(&self) -> &[u8];
    /// Signs `message`; returns the signature as it goes in the BIT STRING (DER
    /// `ECDSA-Sig-Value` / SM2 signature, or the raw PKCS#1 v1.5 block).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError>;
}

/// The decoded SubjectPublicKeyInfo of a signer.
/// (A token's is made from what the token says, so it is checked here.)
pub fn spki_of(signer: &dyn Signer) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    Ok(SubjectPublicKeyInfoOwned::from_der(signer.spki_der())?)
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits.
/// Also what OCSP's `byKey` responder ID and `issuerKeyHash` use.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> [u8; 20] {
    Sha1::digest(spki.subject_public_key.raw_bytes()).into()
}

/// The SEC1 point in a PKCS#11 CKA_EC_POINT, which tokens give as a DER OCTET
/// STRING around the point (some give the bare point).
pub fn ec_point_of(cka_ec_point: &[u8]) -> Vec<u8> {
    use der::Decode;
    der::asn1::OctetString::from_der(cka_ec_point)
        .map(|o| o.as_bytes().to_vec())
        .unwrap_or_else(|_| cka_ec_point.to_vec())
}

/// SubjectPublicKeyInfo (DER) of a P-256 key from its SEC1 point.
pub fn p256_spki(point: &[u8]) -> Vec<u8> {
    ec_spki(crate::oids::CURVE_P256, point)
}

/// SubjectPublicKeyInfo (DER) of an SM2 key from its SEC1 point, in the form
/// every checker reads (id-ecPublicKey with the SM2 curve, GM/T 0015-2012).
pub fn sm2_spki(point: &[u8]) -> Vec<u8> {
    ec_spki(crate::oids::CURVE_SM2, point)
}

fn ec_spki(curve: der::asn1::ObjectIdentifier, point: &[u8]) -> Vec<u8> {
    use crate::derw::{self, SEQUENCE};
    let alg = [
        derw::wrap(0x06, crate::oids::EC_PUBLIC_KEY.as_bytes()),
        derw::wrap(0x06, curve.as_bytes()),
    ]
    .concat();
    derw::wrap(
        SEQUENCE,
        &[derw::wrap(SEQUENCE, &alg), derw::bit_string(point)].concat(),
    )
}

/// SubjectPublicKeyInfo (DER) of an RSA key from its modulus and public
/// exponent (big-endian magnitudes, as PKCS#11 gives them).
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    use crate::derw::{self, INTEGER, SEQUENCE};
    let int = |mag: &[u8]| {
        let mut v = Vec::with_capacity(mag.len() + 1);
        if mag.first().is_some_and(|b| b & 0x80 != 0) {
            v.push(0);
        }
        v.extend_from_slice(mag);
        derw::wrap(INTEGER, &v)
    };
    let rsa_pub = derw::wrap(SEQUENCE, &[int(n), int(e)].concat());
    let alg = [
        derw::wrap(0x06, crate::oids::RSA_ENCRYPTION.as_bytes()),
        vec![0x05, 0x00],
    ]
    .concat();
    derw::wrap(
        SEQUENCE,
        &[derw::wrap(SEQUENCE, &alg), derw::bit_string(&rsa_pub)].concat(),
    )
}

/// Converts a raw `r‖s` ECDSA/SM2 signature (as PKCS#11 returns it) to DER.
pub fn raw_ecdsa_to_der(raw: &[u8]) -> Result<Vec<u8>, PkiError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(PkiError::Signing);
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 8);
    for half in [r, s] {
        let start = half.iter().position(|&b| b != 0).unwrap_or(half.len() - 1);
        let mag = &half[start..];
        let mut int = Vec::with_capacity(mag.len() + 1);
        if mag[0] & 0x80 != 0 {
            int.push(0);
        }
        int.extend_from_slice(mag);
        crate::derw::tlv(&mut body, crate::derw::INTEGER, &int);
    }
    Ok(crate::derw::wrap(crate::derw::SEQUENCE, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_signature_becomes_positive_der_integers() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[63] = 0x01; // s is small
        let der = raw_ecdsa_to_der(&raw).unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 33, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
    }
}
