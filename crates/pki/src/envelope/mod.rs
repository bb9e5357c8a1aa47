//! A KMC's delivery of an encryption key pair to its holder (GM/T 0014,
//! GM/T 0034 §6): the private key encrypted under a fresh SM4 key, that SM4
//! key encrypted to the holder's *signing* public key, and the public key.
//!
//! One envelope, three encodings of the same parts, so whoever holds one can
//! give the others without opening it:
//! - `ENVELOPEDKEYBLOB` (GB/T 35291 §6.4.10.1, GM/T 0016), what a USB key's
//!   `SKF_ImportECCKeyPair` takes ([`KeyEnvelope::to_skf_blob`]);
//! - `SM2EnvelopedKey` (GB/T 35276 §7.4), DER for other clients
//!   ([`KeyEnvelope::to_sm2_enveloped_key`]);
//! - `SignedAndEnvelopedData` (GB/T 35275 §8, PKCS#7's shape with the SM2
//!   OIDs of GM/T 0010), signed by the KMC: the `retPriKey` of GM/T 0014's
//!   `RetKeyRespond` ([`signed`]).
//!
//! The private key is SM4-ECB encrypted as 32 bytes, with no padding, in all
//! three: the SKF form requires it, and it is what lets one be rewritten as
//! another.

mod cipher;
mod enveloped_key;
pub mod signed;
mod skf_blob;
mod sm4;

use sm2::elliptic_curve::sec1::ToSec1Point;
use zeroize::Zeroizing;

use crate::PkiError;

pub use cipher::{Sm2Cipher, decrypt, encrypt};

/// The parts of a key envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEnvelope {
    /// The 16-byte SM4 key, encrypted to the recipient's public key.
    pub wrapped_key: Sm2Cipher,
    /// The enveloped key pair's public key: SEC1, uncompressed (65 bytes).
    pub public_key: [u8; 65],
    /// SM4-ECB of the 32-byte private key.
    pub encrypted_private_key: [u8; 32],
}

fn bad(what: &str) -> PkiError {
    PkiError::Envelope(what.to_string())
}

/// The SEC1 uncompressed point of an SM2 private key's public key.
pub fn sm2_public_point(secret: &[u8; 32]) -> Result<[u8; 65], PkiError> {
    let key = sm2::SecretKey::from_slice(secret).map_err(|_| bad("not an SM2 private key"))?;
    let point = key.public_key().to_sec1_point(false);
    point
        .as_bytes()
        .try_into()
        .map_err(|_| bad("an SM2 public key that is not 65 bytes"))
}

/// A fresh SM2 key pair: the private key (32 bytes) and its public point.
pub fn generate_sm2() -> Result<(Zeroizing<[u8; 32]>, [u8; 65]), PkiError> {
    use sm2::elliptic_curve::Generate;
    let secret = sm2::SecretKey::try_generate().map_err(|_| bad("no randomness"))?;
    let bytes = Zeroizing::new(<[u8; 32]>::from(secret.to_bytes()));
    let point = sm2_public_point(&bytes)?;
    Ok((bytes, point))
}

impl KeyEnvelope {
    /// Envelopes the key pair `private_key` for the holder of the SM2 public
    /// key `recipient` (SEC1): a fresh SM4 key encrypts the private key and
    /// is itself encrypted to `recipient`.
    pub fn seal(recipient: &[u8], private_key: &[u8; 32]) -> Result<Self, PkiError> {
        let mut sm4_key = Zeroizing::new([0u8; sm4::BLOCK]);
        getrandom::fill(sm4_key.as_mut()).map_err(|_| bad("no randomness"))?;
        let wrapped_key = encrypt(recipient, sm4_key.as_ref())?;
        let encrypted = sm4::ecb_encrypt(&sm4_key, private_key)?;
        Ok(KeyEnvelope {
            wrapped_key,
            public_key: sm2_public_point(private_key)?,
            encrypted_private_key: encrypted
                .as_slice()
                .try_into()
                .map_err(|_| bad("SM4 changed the key's length"))?,
        })
    }

    /// Opens the envelope with the recipient's private key and checks that
    /// what comes out is the private key of [`Self::public_key`].
    pub fn open(&self, recipient_secret: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, PkiError> {
        let sm4_key = decrypt(recipient_secret, &self.wrapped_key)?;
        let sm4_key: &[u8; sm4::BLOCK] = sm4_key
            .as_slice()
            .try_into()
            .map_err(|_| bad("the wrapped key is not an SM4 key"))?;
        let plain = sm4::ecb_decrypt(sm4_key, &self.encrypted_private_key)?;
        let mut private = Zeroizing::new([0u8; 32]);
        private.copy_from_slice(&plain);
        if sm2_public_point(&private)? != self.public_key {
            return Err(bad(
                "the private key inside does not belong to the envelope's public key",
            ));
        }
        Ok(private)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_for_its_recipient_only() {
        let (holder, holder_point) = generate_sm2().unwrap();
        let (encryption, encryption_point) = generate_sm2().unwrap();
        let envelope = KeyEnvelope::seal(&holder_point, &encryption).unwrap();
        assert_eq!(envelope.public_key, encryption_point);
        assert_eq!(*envelope.open(&holder).unwrap(), *encryption);

        let (stranger, _) = generate_sm2().unwrap();
        assert_eq!(
            envelope.open(&stranger).unwrap_err().to_string(),
            "key envelope: the ciphertext was not made for this key"
        );
    }

    #[test]
    fn a_swapped_public_key_is_caught_on_opening() {
        let (holder, holder_point) = generate_sm2().unwrap();
        let (encryption, _) = generate_sm2().unwrap();
        let (_, other_point) = generate_sm2().unwrap();
        let mut envelope = KeyEnvelope::seal(&holder_point, &encryption).unwrap();
        envelope.public_key = other_point;
        assert!(
            envelope
                .open(&holder)
                .unwrap_err()
                .to_string()
                .contains("does not belong")
        );
    }
}
