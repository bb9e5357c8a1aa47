//! Verifying a signature made by a subject public key: CSR self-signatures now,
//! and possession proofs from the assistant later.

use aws_lc_rs::signature::{self as lc, UnparsedPublicKey};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use signature_verify::sm2_verify;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{PkiError, oids};

/// SM2 signer ID (GM/T 0009 default). The IDs we accept when verifying a CSR: the
/// standard one, and the empty ID OpenSSL 3 uses unless told otherwise.
pub const SM2_DIST_ID: &str = "1234567812345678";

/// A subject public key we accept, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyKind {
    P256,
    P384,
    Rsa { bits: usize },
    Sm2,
}

impl PublicKeyKind {
    pub fn name(self) -> String {
        match self {
            PublicKeyKind::P256 => "p256".into(),
            PublicKeyKind::P384 => "p384".into(),
            PublicKeyKind::Rsa { bits } => format!("rsa{bits}"),
            PublicKeyKind::Sm2 => "sm2".into(),
        }
    }
}

/// Classifies a key, refusing what our key policy does not allow: RSA under 2048
/// bits, and curves other than P-256, P-384 and SM2.
pub fn classify(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKeyKind, PkiError> {
    let alg = &spki.algorithm;
    if alg.oid == oids::RSA_ENCRYPTION {
        let (bits, exponent) = rsa_public_key(spki.subject_public_key.raw_bytes())
            .ok_or_else(|| PkiError::KeyPolicy("the RSA public key is malformed".into()))?;
        // CA/Browser Forum BR 6.1.6: an odd exponent of at least 2^16 + 1 and
        // at most 2^256 − 1 (e = 3 is what signature forgeries feed on).
        let odd = exponent.last().is_some_and(|b| b & 1 == 1);
        let large_enough =
            exponent.len() > 3 || (exponent.len() == 3 && exponent.as_slice() >= &[1, 0, 1][..]);
        if !odd || !large_enough || exponent.len() > 32 {
            return Err(PkiError::KeyPolicy(
                "the RSA public exponent must be odd and at least 65537".into(),
            ));
        }
        if bits < 2048 {
            return Err(PkiError::KeyPolicy(format!(
                "RSA-{bits} is too weak; RSA keys need at least 2048 bits"
            )));
        }
        if bits > 8192 {
            return Err(PkiError::KeyPolicy(format!(
                "RSA-{bits} is larger than the 8192 bits we accept"
            )));
        }
        return Ok(PublicKeyKind::Rsa { bits });
    }
    // GM/T 0015-2023 names an SM2 key by the curve's OID alone; the 2012
    // edition (and every checker) by id-ecPublicKey with the SM2 curve.
    if alg.oid == oids::CURVE_SM2 {
        return Ok(PublicKeyKind::Sm2);
    }
    if alg.oid == oids::EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| {
                PkiError::KeyPolicy(
                    "EC key without a named curve (explicit curves are refused)".into(),
                )
            })?;
        let kind = if curve == oids::CURVE_P256 {
            PublicKeyKind::P256
        } else if curve == oids::CURVE_P384 {
            PublicKeyKind::P384
        } else if curve == oids::CURVE_SM2 {
            PublicKeyKind::Sm2
        } else {
            return Err(PkiError::KeyPolicy(format!(
                "unsupported elliptic curve {curve}; use P-256, P-384 or SM2"
            )));
        };
        return Ok(kind);
    }
    Err(PkiError::KeyPolicy(format!(
        "unsupported public key algorithm {}",
        alg.oid
    )))
}

/// Bit length of the modulus and the public exponent (big-endian, no leading
/// zeros) of a PKCS#1 RSAPublicKey.
fn rsa_public_key(pkcs1: &[u8]) -> Option<(usize, Vec<u8>)> {
    #[derive(der::Sequence)]
    struct RsaPublicKey<'a> {
        modulus: der::asn1::UintRef<'a>,
        exponent: der::asn1::UintRef<'a>,
    }
    let key = RsaPublicKey::from_der(pkcs1).ok()?;
    let m = key.modulus.as_bytes();
    let first = *m.first()?;
    Some((
        m.len() * 8 - first.leading_zeros() as usize,
        key.exponent.as_bytes().to_vec(),
    ))
}

/// Checks `signature` over `message` with `spki`, for the signature algorithm named.
pub fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let kind = classify(spki)?;
    let key = spki.subject_public_key.raw_bytes();
    let oid = algorithm.oid;
    let lc_alg: &'static dyn lc::VerificationAlgorithm = match (kind, oid) {
        (PublicKeyKind::Sm2, o) if o == oids::SM3_WITH_SM2 => {
            return if [SM2_DIST_ID, ""]
                .iter()
                .any(|id| sm2_verify(id, key, message, signature))
            {
                Ok(())
            } else {
                Err(PkiError::CsrSignature)
            };
        }
        (PublicKeyKind::P256, o) if o == oids::ECDSA_WITH_SHA256 => &lc::ECDSA_P256_SHA256_ASN1,
        (PublicKeyKind::P256, o) if o == oids::ECDSA_WITH_SHA384 => &lc::ECDSA_P256_SHA384_ASN1,
        (PublicKeyKind::P384, o) if o == oids::ECDSA_WITH_SHA256 => &lc::ECDSA_P384_SHA256_ASN1,
        (PublicKeyKind::P384, o) if o == oids::ECDSA_WITH_SHA384 => &lc::ECDSA_P384_SHA384_ASN1,
        (PublicKeyKind::Rsa { .. }, o) if o == oids::SHA256_WITH_RSA => {
            &lc::RSA_PKCS1_2048_8192_SHA256
        }
        (PublicKeyKind::Rsa { .. }, o) if o == oids::SHA384_WITH_RSA => {
            &lc::RSA_PKCS1_2048_8192_SHA384
        }
        (PublicKeyKind::Rsa { .. }, o) if o == oids::SHA512_WITH_RSA => {
            &lc::RSA_PKCS1_2048_8192_SHA512
        }
        (kind, o) => {
            return Err(PkiError::KeyPolicy(format!(
                "signature algorithm {o} is not supported for a {} key",
                kind.name()
            )));
        }
    };
    UnparsedPublicKey::new(lc_alg, key)
        .verify(message, signature)
        .map_err(|_| PkiError::CsrSignature)
}

/// Checks an SM2 signature (DER) over `message` made with the signer ID
/// every certhall signer uses ([`SM2_DIST_ID`]) by the key at `point` (SEC1).
pub fn sm2_verify_default_id(point: &[u8], message: &[u8], der_sig: &[u8]) -> bool {
    sm2_verify(SM2_DIST_ID, point, message, der_sig)
}

/// The SEC1 uncompressed point of an SM2 SubjectPublicKeyInfo (DER), in
/// either of GM/T 0015's forms; an error for any other key.
pub fn sm2_point_of_spki(spki_der: &[u8]) -> Result<[u8; 65], PkiError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)?;
    if classify(&spki)? != PublicKeyKind::Sm2 {
        return Err(PkiError::KeyPolicy("not an SM2 public key".into()));
    }
    spki.subject_public_key
        .as_bytes()
        .and_then(|p| p.try_into().ok())
        .filter(|p: &[u8; 65]| p[0] == 0x04)
        .ok_or_else(|| {
            PkiError::KeyPolicy("the SM2 public key is not an uncompressed point".into())
        })
}

/// An SM2 key in the form certificates carry: id-ecPublicKey with the SM2
/// curve, whichever of GM/T 0015's forms it came in (OpenSSL and the other
/// checkers read only this one). Other keys are returned as they are.
pub fn canonical(spki: SubjectPublicKeyInfoOwned) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    if spki.algorithm.oid != oids::CURVE_SM2 {
        return Ok(spki);
    }
    let point = spki
        .subject_public_key
        .as_bytes()
        .filter(|p| p.len() == 65 && p[0] == 0x04)
        .ok_or_else(|| {
            PkiError::KeyPolicy("the SM2 public key is not an uncompressed point".into())
        })?;
    Ok(SubjectPublicKeyInfoOwned::from_der(
        &crate::signer::sm2_spki(point),
    )?)
}

/// The SubjectPublicKeyInfo's DER, for hashing and storage.
pub fn spki_der(spki: &SubjectPublicKeyInfoOwned) -> Result<Vec<u8>, PkiError> {
    Ok(spki.to_der()?)
}

mod signature_verify {
    use sm2::dsa::{Signature, VerifyingKey, signature::Verifier};

    pub fn sm2_verify(dist_id: &str, point: &[u8], message: &[u8], der_sig: &[u8]) -> bool {
        let Ok(key) = VerifyingKey::from_sec1_bytes(dist_id, point) else {
            return false;
        };
        let Ok(sig) = Signature::from_der(der_sig) else {
            return false;
        };
        key.verify(message, &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_spki(exponent: &[u8]) -> SubjectPublicKeyInfoOwned {
        let mut modulus = vec![0x00, 0xC0];
        modulus.extend(std::iter::repeat_n(0x11, 255));
        let key = crate::signer::rsa_spki(&modulus[1..], exponent);
        SubjectPublicKeyInfoOwned::from_der(&key).unwrap()
    }

    #[test]
    fn sm2_keys_in_the_2023_form_are_taken_and_certified_in_the_2012_form() {
        use crate::derw::{self, SEQUENCE};
        let point = [[0x04].as_slice(), &[0x11; 64]].concat();
        let new_form = derw::wrap(
            SEQUENCE,
            &[
                derw::wrap(SEQUENCE, &derw::wrap(0x06, oids::CURVE_SM2.as_bytes())),
                derw::bit_string(&point),
            ]
            .concat(),
        );
        let spki = SubjectPublicKeyInfoOwned::from_der(&new_form).unwrap();
        assert_eq!(classify(&spki).unwrap(), PublicKeyKind::Sm2);
        let canonical = canonical(spki).unwrap();
        assert_eq!(canonical.to_der().unwrap(), crate::signer::sm2_spki(&point));
        assert_eq!(classify(&canonical).unwrap(), PublicKeyKind::Sm2);
    }

    #[test]
    fn rsa_exponents_follow_the_baseline_requirements() {
        for (e, ok) in [
            (&[3u8][..], false),
            (&[1, 0, 0][..], false),
            (&[1, 0, 1][..], true),
            (&[1, 0, 3][..], true),
            (&[1, 0, 2][..], false),
            (&[0xFF; 32][..], true),
            (&[0xFF; 33][..], false),
        ] {
            assert_eq!(classify(&rsa_spki(e)).is_ok(), ok, "{e:02x?}");
        }
    }
}
