//! `ENVELOPEDKEYBLOB` (GB/T 35291-2017 §6.4.10.1, GM/T 0016-2012 §6.4.10):
//! the bytes a USB key's `SKF_ImportECCKeyPair` takes. Packed, every `ULONG`
//! 4 bytes little-endian, every coordinate a 64-byte field with the 256-bit
//! value right-aligned:
//!
//! ```text
//! Version ULONG (1) | ulSymmAlgID ULONG (SGD_SM4_ECB 0x401) | ulBits ULONG (256)
//! | cbEncryptedPriKey[64]                      SM4-ECB of the private key, right-aligned
//! | PubKey  ECCPUBLICKEYBLOB { BitLen ULONG (256) | X[64] | Y[64] }
//! | ECCCipherBlob ECCCIPHERBLOB { X[64] | Y[64] | HASH[32] | CipherLen ULONG | Cipher[CipherLen] }
//! ```

use super::{KeyEnvelope, Sm2Cipher, bad};
use crate::PkiError;

const VERSION: u32 = 1;
/// `SGD_SM4_ECB` (GM/T 0006).
const SGD_SM4_ECB: u32 = 0x0000_0401;
const BITS: u32 = 256;
/// Version, algorithm and bits; the private key field; the public key blob.
const HEAD: usize = 12 + 64 + (4 + 64 + 64);
/// The cipher blob before its C2.
const CIPHER_HEAD: usize = 64 + 64 + 32 + 4;

fn widen(out: &mut Vec<u8>, value: &[u8]) {
    out.extend(std::iter::repeat_n(0u8, 64 - value.len()));
    out.extend_from_slice(value);
}

fn narrow(field: &[u8]) -> Result<[u8; 32], PkiError> {
    let (high, low) = field.split_at(field.len() - 32);
    if high.iter().any(|&b| b != 0) {
        return Err(bad("a 64-byte field holds more than 256 bits"));
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(low);
    Ok(out)
}

fn ulong(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

impl KeyEnvelope {
    /// The `ENVELOPEDKEYBLOB` of this envelope.
    pub fn to_skf_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEAD + CIPHER_HEAD + self.wrapped_key.cipher.len());
        for word in [VERSION, SGD_SM4_ECB, BITS] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        widen(&mut out, &self.encrypted_private_key);
        out.extend_from_slice(&BITS.to_le_bytes());
        widen(&mut out, &self.public_key[1..33]);
        widen(&mut out, &self.public_key[33..65]);
        let wrapped = &self.wrapped_key;
        widen(&mut out, &wrapped.x);
        widen(&mut out, &wrapped.y);
        out.extend_from_slice(&wrapped.hash);
        // An SM4 key: 16 bytes, far below u32::MAX.
        out.extend_from_slice(&(wrapped.cipher.len() as u32).to_le_bytes());
        out.extend_from_slice(&wrapped.cipher);
        out
    }

    /// Reads an `ENVELOPEDKEYBLOB`; anything but version 1, SM4-ECB and
    /// 256-bit SM2, or a length that does not add up, is refused.
    pub fn from_skf_blob(blob: &[u8]) -> Result<Self, PkiError> {
        if blob.len() < HEAD + CIPHER_HEAD {
            return Err(bad("an ENVELOPEDKEYBLOB shorter than its fixed part"));
        }
        if ulong(blob, 0) != VERSION || ulong(blob, 8) != BITS || ulong(blob, 76) != BITS {
            return Err(bad("not a version 1 ENVELOPEDKEYBLOB of a 256-bit key"));
        }
        if ulong(blob, 4) != SGD_SM4_ECB {
            return Err(bad("the private key is not SM4-ECB encrypted"));
        }
        let cipher_len = ulong(blob, HEAD + CIPHER_HEAD - 4) as usize;
        if blob.len() != HEAD + CIPHER_HEAD + cipher_len || cipher_len == 0 {
            return Err(bad("the ECCCIPHERBLOB's CipherLen does not match the blob"));
        }
        let mut public_key = [0u8; 65];
        public_key[0] = 0x04;
        public_key[1..33].copy_from_slice(&narrow(&blob[80..144])?);
        public_key[33..].copy_from_slice(&narrow(&blob[144..208])?);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&blob[HEAD + 128..HEAD + 160]);
        Ok(KeyEnvelope {
            wrapped_key: Sm2Cipher {
                x: narrow(&blob[HEAD..HEAD + 64])?,
                y: narrow(&blob[HEAD + 64..HEAD + 128])?,
                hash,
                cipher: blob[HEAD + CIPHER_HEAD..].to_vec(),
            },
            public_key,
            encrypted_private_key: narrow(&blob[12..76])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate_sm2;
    use super::*;

    #[test]
    fn the_blob_is_388_bytes_and_reads_back() {
        let (_, holder_point) = generate_sm2().unwrap();
        let (encryption, _) = generate_sm2().unwrap();
        let envelope = KeyEnvelope::seal(&holder_point, &encryption).unwrap();
        let blob = envelope.to_skf_blob();
        assert_eq!(blob.len(), 388);
        assert_eq!(&blob[..12], &[1, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0, 0]);
        assert_eq!(KeyEnvelope::from_skf_blob(&blob).unwrap(), envelope);

        let mut cut = blob.clone();
        cut.pop();
        assert!(KeyEnvelope::from_skf_blob(&cut).is_err());
        let mut cbc = blob;
        cbc[4] = 0x02; // SGD_SM4_CBC
        assert_eq!(
            KeyEnvelope::from_skf_blob(&cbc).unwrap_err().to_string(),
            "key envelope: the private key is not SM4-ECB encrypted"
        );
    }
}
