//! Keys behind one trait: the CA signs with whatever holds its key, in software
//! (sealed at rest, see `keywrap`) or in a PKCS#11 HSM.

mod pkcs11;
mod software;

use der::Decode;
use sha1::{Digest, Sha1};
use spki::SubjectPublicKeyInfoOwned;

pub use pkcs11::{Pkcs11Key, Token, TokenConfig};
pub use software::SoftwareKey;

use crate::{CaError, KeyAlgorithm};

pub trait Signer: Send + Sync {
    fn algorithm(&self) -> KeyAlgorithm;
    /// The public key as a DER SubjectPublicKeyInfo.
    fn spki_der(&self) -> &[u8];
    /// Signs `message`; returns the signature as it goes in the BIT STRING (DER
    /// `ECDSA-Sig-Value` / SM2 signature, or the raw PKCS#1 v1.5 block).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CaError>;
}

/// The decoded SubjectPublicKeyInfo of a signer.
pub fn spki_of(signer: &dyn Signer) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_der(signer.spki_der())
        .expect("signers hold a well-formed SubjectPublicKeyInfo")
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits.
/// Also what OCSP's `byKey` responder ID and `issuerKeyHash` use.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> [u8; 20] {
    Sha1::digest(spki.subject_public_key.raw_bytes()).into()
}

/// Converts a raw `r‖s` ECDSA/SM2 signature (as PKCS#11 returns it) to DER.
pub fn raw_ecdsa_to_der(raw: &[u8]) -> Result<Vec<u8>, CaError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(CaError::Signing);
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
