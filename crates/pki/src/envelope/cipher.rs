//! SM2 public-key encryption (GB/T 32918.4) as the envelopes carry it: the
//! ciphertext in the C1 ‖ C3 ‖ C2 order of GM/T 0009 and its DER form,
//! `SM2Cipher` (GB/T 35276 §7.2, GM/T 0009 §7.2).

use der::asn1::{OctetString, Uint};
use der::{Decode, Encode, Sequence};
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};
use zeroize::Zeroizing;

use crate::PkiError;

/// An SM2 ciphertext in its parts: C1 (the point `x`, `y`), C3 (`hash`, the
/// SM3 check value) and C2 (`cipher`, as long as the plaintext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sm2Cipher {
    pub x: [u8; 32],
    pub y: [u8; 32],
    pub hash: [u8; 32],
    pub cipher: Vec<u8>,
}

/// `SM2Cipher ::= SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER,
/// HASH OCTET STRING (SIZE(32)), CipherText OCTET STRING }`.
#[derive(Sequence)]
struct Sm2CipherDer {
    x: Uint,
    y: Uint,
    hash: OctetString,
    cipher_text: OctetString,
}

fn bad(what: &str) -> PkiError {
    PkiError::Envelope(what.to_string())
}

impl Sm2Cipher {
    /// The DER `SM2Cipher`.
    pub fn to_der(&self) -> Result<Vec<u8>, PkiError> {
        Ok(Sm2CipherDer {
            x: Uint::new(&self.x)?,
            y: Uint::new(&self.y)?,
            hash: OctetString::new(self.hash.as_slice())?,
            cipher_text: OctetString::new(self.cipher.as_slice())?,
        }
        .to_der()?)
    }

    /// Reads a DER `SM2Cipher`; coordinates of more than 256 bits, a check
    /// value that is not 32 bytes or an empty C2 are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let parsed =
            Sm2CipherDer::from_der(der).map_err(|e| bad(&format!("SM2Cipher is not DER: {e}")))?;
        let hash: [u8; 32] = parsed
            .hash
            .as_bytes()
            .try_into()
            .map_err(|_| bad("SM2Cipher's HASH is not 32 bytes"))?;
        if parsed.cipher_text.as_bytes().is_empty() {
            return Err(bad("SM2Cipher's CipherText is empty"));
        }
        Ok(Sm2Cipher {
            x: coordinate(&parsed.x)?,
            y: coordinate(&parsed.y)?,
            hash,
            cipher: parsed.cipher_text.as_bytes().to_vec(),
        })
    }

    /// `04 ‖ x ‖ y ‖ C3 ‖ C2`, the byte string the `sm2` crate and OpenSSL's
    /// raw form take.
    fn to_c1c3c2(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(97 + self.cipher.len());
        raw.push(0x04);
        raw.extend_from_slice(&self.x);
        raw.extend_from_slice(&self.y);
        raw.extend_from_slice(&self.hash);
        raw.extend_from_slice(&self.cipher);
        raw
    }
}

/// A coordinate as the 32 bytes it stands for (a DER INTEGER drops leading
/// zeros).
fn coordinate(value: &Uint) -> Result<[u8; 32], PkiError> {
    let bytes = value.as_bytes();
    if bytes.len() > 32 {
        return Err(bad("an SM2 coordinate longer than 256 bits"));
    }
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

/// Encrypts `plain` (not empty) to the SM2 public key at `point` (SEC1,
/// uncompressed).
pub fn encrypt(point: &[u8], plain: &[u8]) -> Result<Sm2Cipher, PkiError> {
    if plain.is_empty() {
        return Err(bad("nothing to encrypt"));
    }
    let key = sm2::PublicKey::from_sec1_bytes(point)
        .map_err(|_| bad("the recipient's key is not a point on the SM2 curve"))?;
    let raw = EncryptingKey::new_with_mode(key, Mode::C1C3C2)
        .encrypt(&mut getrandom::SysRng, plain)
        .map_err(|_| bad("SM2 encryption failed"))?;
    if raw.len() != 97 + plain.len() || raw[0] != 0x04 {
        return Err(bad("SM2 encryption gave an unexpected length"));
    }
    let mut out = Sm2Cipher {
        x: [0; 32],
        y: [0; 32],
        hash: [0; 32],
        cipher: raw[97..].to_vec(),
    };
    out.x.copy_from_slice(&raw[1..33]);
    out.y.copy_from_slice(&raw[33..65]);
    out.hash.copy_from_slice(&raw[65..97]);
    Ok(out)
}

/// Decrypts with the private key `secret` (32 bytes, big-endian); an error
/// when C1 is not on the curve or C3 does not match (another key's
/// ciphertext, or an altered one).
pub fn decrypt(secret: &[u8; 32], cipher: &Sm2Cipher) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let key = sm2::SecretKey::from_slice(secret).map_err(|_| bad("not an SM2 private key"))?;
    let plain = DecryptingKey::new_with_mode(key.to_nonzero_scalar(), Mode::C1C3C2)
        .decrypt(&cipher.to_c1c3c2())
        .map_err(|_| bad("the ciphertext was not made for this key"))?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::elliptic_curve::Generate;
    use sm2::elliptic_curve::sec1::ToSec1Point;

    fn pair() -> ([u8; 32], Vec<u8>) {
        let secret = sm2::SecretKey::try_generate().unwrap();
        let point = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
        (secret.to_bytes().into(), point)
    }

    #[test]
    fn round_trips_through_der_and_refuses_another_key() {
        let (secret, point) = pair();
        let cipher = encrypt(&point, b"sixteen byte key").unwrap();
        let again = Sm2Cipher::from_der(&cipher.to_der().unwrap()).unwrap();
        assert_eq!(again, cipher);
        assert_eq!(&decrypt(&secret, &again).unwrap()[..], b"sixteen byte key");
        let (other, _) = pair();
        assert!(decrypt(&other, &again).is_err());
    }

    #[test]
    fn malformed_der_is_named() {
        let err = Sm2Cipher::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("key envelope: SM2Cipher is not DER")
        );
    }
}
