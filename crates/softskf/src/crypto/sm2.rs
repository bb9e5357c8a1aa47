//! SM2 as SKF uses it: signatures over a digest the caller computed, the Z
//! value that digest starts with, and public-key encryption in the C1‖C3‖C2
//! order of `ECCCIPHERBLOB`.

use getrandom::SysRng;
use sm2::dsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
use sm2::dsa::{SigningKey, VerifyingKey};
use sm2::elliptic_curve::Generate;
use sm2::elliptic_curve::sec1::{Coordinates, ToSec1Point};
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};
use sm2::{PublicKey, SecretKey};
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

use super::SM3_LEN;
use crate::SkfError;

/// The signer ID a caller means when it gives none (GM/T 0009-2012 §10).
pub const DEFAULT_ID: &[u8] = DEFAULT_ID_STR.as_bytes();
/// [`DEFAULT_ID`] as the `sm2` crate takes it.
const DEFAULT_ID_STR: &str = "1234567812345678";

/// The curve's `a`, `b` and base point (GB/T 32918.5-2017), for Z.
const CURVE_A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
const CURVE_B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
const BASE_X: [u8; 32] = hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
const BASE_Y: [u8; 32] = hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// Signing draws a fresh nonce each try; a try fails only when the nonce or
/// `r` is out of range (about 2⁻³² per try), so a few tries always suffice.
const SIGN_TRIES: usize = 8;

/// An SM2 public key as its affine coordinates, big-endian: the shape of
/// `ECCPUBLICKEYBLOB`. Only points on the curve are ever built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicPoint {
    pub x: [u8; 32],
    pub y: [u8; 32],
}

/// An SM2 signature `(r, s)`, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
}

/// An SM2 ciphertext split as `ECCCIPHERBLOB` holds it: C1 (the point), C3
/// (the SM3 check value) and C2 (as long as the plaintext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    pub x: [u8; 32],
    pub y: [u8; 32],
    pub hash: [u8; 32],
    pub cipher: Vec<u8>,
}

impl PublicPoint {
    /// The point of a public key.
    pub fn of(key: &PublicKey) -> Self {
        let encoded = key.to_sec1_point(false);
        let mut point = PublicPoint {
            x: [0; 32],
            y: [0; 32],
        };
        if let Coordinates::Uncompressed { x, y } = encoded.coordinates() {
            point.x.copy_from_slice(x);
            point.y.copy_from_slice(y);
        }
        point
    }

    /// The point of a private key's public half.
    pub fn of_secret(key: &SecretKey) -> Self {
        Self::of(&key.public_key())
    }

    /// The key at these coordinates; `InvalidParam` if they are not on the curve.
    pub fn to_key(self) -> Result<PublicKey, SkfError> {
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..33].copy_from_slice(&self.x);
        sec1[33..].copy_from_slice(&self.y);
        PublicKey::from_sec1_bytes(&sec1).map_err(|_| SkfError::InvalidParam)
    }
}

/// A new key pair, made from the operating system's random source.
pub fn generate() -> Result<SecretKey, SkfError> {
    SecretKey::try_generate().map_err(|_| SkfError::Random)
}

/// `Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)` (GB/T 32918.2 §5.5), the
/// prefix of what a signer with this key and ID hashes.
pub fn z_value(id: &[u8], key: &PublicPoint) -> Result<[u8; SM3_LEN], SkfError> {
    // ENTL is the ID's length in bits, on two bytes.
    let bits = id
        .len()
        .checked_mul(8)
        .and_then(|bits| u16::try_from(bits).ok())
        .ok_or(SkfError::InputLength)?;
    let mut sm3 = Sm3::new();
    sm3.update(bits.to_be_bytes());
    sm3.update(id);
    for part in [&CURVE_A, &CURVE_B, &BASE_X, &BASE_Y, &key.x, &key.y] {
        sm3.update(part);
    }
    Ok(sm3.finalize().into())
}

/// Signs `digest` — already `SM3(Z ‖ M)` — as the `e` of the SM2 signature.
pub fn sign_digest(key: &SecretKey, digest: &[u8; SM3_LEN]) -> Result<Signature, SkfError> {
    // The signer's ID goes into Z only, which the caller already hashed: any
    // ID builds the same prehash signer.
    let signer = SigningKey::new(DEFAULT_ID_STR, key).map_err(|_| SkfError::Fail)?;
    // Randomised (hedged RFC 6979): a fresh nonce per try, so a rare
    // out-of-range nonce is retried rather than met again.
    for _ in 0..SIGN_TRIES {
        if let Ok(signature) = signer.sign_prehash_with_rng(&mut SysRng, digest) {
            let mut out = Signature {
                r: [0; 32],
                s: [0; 32],
            };
            out.r.copy_from_slice(&signature.r_bytes());
            out.s.copy_from_slice(&signature.s_bytes());
            return Ok(out);
        }
    }
    Err(SkfError::Fail)
}

/// Checks a signature over `digest` (already `SM3(Z ‖ M)`); `Fail` if it
/// does not verify, as GmSSL's SKF answers.
pub fn verify_digest(
    key: &PublicPoint,
    digest: &[u8; SM3_LEN],
    signature: &Signature,
) -> Result<(), SkfError> {
    let verifier =
        VerifyingKey::new(DEFAULT_ID_STR, key.to_key()?).map_err(|_| SkfError::InvalidParam)?;
    // r or s zero or not below n is a signature that does not verify.
    let signature =
        sm2::dsa::Signature::from_scalars(signature.r, signature.s).map_err(|_| SkfError::Fail)?;
    verifier
        .verify_prehash(digest, &signature)
        .map_err(|_| SkfError::Fail)
}

/// Encrypts `plain` (not empty) to `key`.
pub fn encrypt(key: &PublicPoint, plain: &[u8]) -> Result<Ciphertext, SkfError> {
    if plain.is_empty() {
        return Err(SkfError::InputLength);
    }
    let encrypter = EncryptingKey::new_with_mode(key.to_key()?, Mode::C1C3C2);
    let raw = encrypter
        .encrypt(&mut SysRng, plain)
        .map_err(|_| SkfError::Fail)?;
    // 04 ‖ x ‖ y ‖ C3 ‖ C2
    let (c1, rest) = raw.split_at_checked(65).ok_or(SkfError::Fail)?;
    let (c3, c2) = rest.split_at_checked(SM3_LEN).ok_or(SkfError::Fail)?;
    let mut out = Ciphertext {
        x: [0; 32],
        y: [0; 32],
        hash: [0; 32],
        cipher: c2.to_vec(),
    };
    out.x.copy_from_slice(&c1[1..33]);
    out.y.copy_from_slice(&c1[33..65]);
    out.hash.copy_from_slice(c3);
    Ok(out)
}

/// Decrypts with `key`; `InputData` if C1 is not on the curve or C3 does not
/// match (a wrong key or altered ciphertext).
pub fn decrypt(key: &SecretKey, ciphertext: &Ciphertext) -> Result<Zeroizing<Vec<u8>>, SkfError> {
    if ciphertext.cipher.is_empty() {
        return Err(SkfError::InputLength);
    }
    let mut raw = Vec::with_capacity(65 + SM3_LEN + ciphertext.cipher.len());
    raw.push(0x04);
    raw.extend_from_slice(&ciphertext.x);
    raw.extend_from_slice(&ciphertext.y);
    raw.extend_from_slice(&ciphertext.hash);
    raw.extend_from_slice(&ciphertext.cipher);
    let decrypter = DecryptingKey::new_with_mode(key.to_nonzero_scalar(), Mode::C1C3C2);
    decrypter
        .decrypt(&raw)
        .map(Zeroizing::new)
        .map_err(|_| SkfError::InputData)
}

/// A private key from its 32 big-endian bytes; `InputData` if out of range.
pub fn secret_from_bytes(bytes: &[u8]) -> Result<SecretKey, SkfError> {
    SecretKey::from_slice(bytes).map_err(|_| SkfError::InputData)
}

/// 32 bytes from 64 upper-case hex digits, at compile time.
const fn hex32(digits: &str) -> [u8; 32] {
    let digits = digits.as_bytes();
    assert!(digits.len() == 64, "64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(digits[2 * i]) << 4) | nibble(digits[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'A'..=b'F' => digit - b'A' + 10,
        _ => panic!("not an upper-case hex digit"),
    }
}

#[cfg(test)]
mod tests {
    use sm2::dsa::signature::Verifier;

    use super::*;

    #[test]
    fn base_point_is_the_curves() {
        // The public key of the private key 1 is the base point.
        let mut one = [0u8; 32];
        one[31] = 1;
        let g = PublicPoint::of_secret(&secret_from_bytes(&one).unwrap());
        assert_eq!(g.x, BASE_X);
        assert_eq!(g.y, BASE_Y);
    }

    #[test]
    fn a_digest_signature_is_an_sm2_signature_of_the_message() {
        let secret = generate().unwrap();
        let point = PublicPoint::of_secret(&secret);
        let message = b"message digest";
        let mut sm3 = Sm3::new();
        sm3.update(z_value(DEFAULT_ID, &point).unwrap());
        sm3.update(message);
        let digest: [u8; 32] = sm3.finalize().into();

        let signature = sign_digest(&secret, &digest).unwrap();
        verify_digest(&point, &digest, &signature).unwrap();

        let verifier = VerifyingKey::new(DEFAULT_ID_STR, secret.public_key()).unwrap();
        let theirs = sm2::dsa::Signature::from_scalars(signature.r, signature.s).unwrap();
        verifier.verify(message, &theirs).unwrap();
    }

    #[test]
    fn a_wrong_digest_does_not_verify() {
        let secret = generate().unwrap();
        let signature = sign_digest(&secret, &[7; 32]).unwrap();
        let point = PublicPoint::of_secret(&secret);
        assert_eq!(
            verify_digest(&point, &[8; 32], &signature),
            Err(SkfError::Fail)
        );
    }

    #[test]
    fn encryption_round_trips_and_detects_a_wrong_key() {
        let secret = generate().unwrap();
        let point = PublicPoint::of_secret(&secret);
        let ciphertext = encrypt(&point, b"sixteen byte key").unwrap();
        assert_eq!(ciphertext.cipher.len(), 16);
        assert_eq!(
            decrypt(&secret, &ciphertext).unwrap().as_slice(),
            b"sixteen byte key"
        );
        let other = generate().unwrap();
        assert_eq!(
            decrypt(&other, &ciphertext).map(|_| ()),
            Err(SkfError::InputData)
        );
    }
}
