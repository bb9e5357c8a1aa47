//! SM4 (GB/T 32907) as the envelopes use it: ECB without padding over the
//! 32-byte private key, the form `ENVELOPEDKEYBLOB` requires (GB/T 35291
//! §6.4.10.1). GB/T 35276 leaves the padding of `SM2EnvelopedKey` open; two
//! whole blocks need none.

use sm4::Sm4;
use sm4::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

use crate::PkiError;

/// The SM4 block and key length.
pub const BLOCK: usize = 16;

fn cipher(key: &[u8; BLOCK]) -> Sm4 {
    Sm4::new(&Array::from(*key))
}

/// SM4-ECB of whole blocks.
pub fn ecb_encrypt(key: &[u8; BLOCK], plain: &[u8]) -> Result<Vec<u8>, PkiError> {
    let mut data = plain.to_vec();
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut data);
    if !rest.is_empty() {
        return Err(PkiError::Envelope("SM4-ECB needs whole blocks".into()));
    }
    cipher(key).encrypt_blocks(blocks);
    Ok(data)
}

/// The inverse of [`ecb_encrypt`].
pub fn ecb_decrypt(key: &[u8; BLOCK], encrypted: &[u8]) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let mut data = Zeroizing::new(encrypted.to_vec());
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut data);
    if !rest.is_empty() {
        return Err(PkiError::Envelope(
            "the encrypted private key is not whole SM4 blocks".into(),
        ));
    }
    cipher(key).decrypt_blocks(blocks);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32907-2016 Appendix A, example 1.
    #[test]
    fn the_standards_example() {
        let key: [u8; 16] = hex::decode("0123456789abcdeffedcba9876543210")
            .unwrap()
            .try_into()
            .unwrap();
        let out = ecb_encrypt(&key, &key).unwrap();
        assert_eq!(hex::encode(&out), "681edf34d206965e86b3e94f536e4246");
        assert_eq!(&ecb_decrypt(&key, &out).unwrap()[..], &key[..]);
        assert!(ecb_encrypt(&key, &[0; 15]).is_err());
    }
}
