//! SM4 (GB/T 32907) in the modes SKF callers use: ECB — device
//! authentication and the KMC's envelope — and CBC, each with or without
//! PKCS#5 padding.

use sm4::Sm4;
use sm4::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

use crate::SkfError;

/// The SM4 block and key length.
pub const BLOCK: usize = 16;

/// An SM4 key.
pub type Key = [u8; BLOCK];

/// How blocks are chained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chaining {
    Ecb,
    Cbc { iv: [u8; BLOCK] },
}

/// A complete mode of operation: chaining and padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub chaining: Chaining,
    /// PKCS#5 padding; without it the input must be whole blocks.
    pub pad: bool,
}

/// Encrypts `plain`; `InputLength` if unpadded and not whole blocks.
pub fn encrypt(key: &Key, mode: Mode, plain: &[u8]) -> Result<Vec<u8>, SkfError> {
    let mut data = plain.to_vec();
    if mode.pad {
        // PKCS#5: always 1 to 16 bytes, each holding the count.
        let fill = BLOCK - data.len() % BLOCK;
        data.resize(data.len() + fill, fill as u8);
    }
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut data);
    if !rest.is_empty() {
        return Err(SkfError::InputLength);
    }
    let cipher = Sm4::new(&Array::from(*key));
    match mode.chaining {
        Chaining::Ecb => cipher.encrypt_blocks(blocks),
        Chaining::Cbc { iv } => {
            let mut previous = iv;
            for block in blocks {
                block.iter_mut().zip(previous).for_each(|(b, p)| *b ^= p);
                cipher.encrypt_block(block);
                previous.copy_from_slice(block);
            }
        }
    }
    Ok(data)
}

/// Decrypts `encrypted`; `InputLength` if not whole blocks, `Padding` if the
/// PKCS#5 padding is wrong (a wrong key, mostly).
pub fn decrypt(key: &Key, mode: Mode, encrypted: &[u8]) -> Result<Zeroizing<Vec<u8>>, SkfError> {
    let mut data = Zeroizing::new(encrypted.to_vec());
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut data);
    if !rest.is_empty() {
        return Err(SkfError::InputLength);
    }
    let cipher = Sm4::new(&Array::from(*key));
    match mode.chaining {
        Chaining::Ecb => cipher.decrypt_blocks(blocks),
        Chaining::Cbc { iv } => {
            let mut previous = iv;
            for block in blocks {
                let this: [u8; BLOCK] = (*block).into();
                cipher.decrypt_block(block);
                block.iter_mut().zip(previous).for_each(|(b, p)| *b ^= p);
                previous = this;
            }
        }
    }
    if mode.pad {
        let fill = usize::from(*data.last().ok_or(SkfError::Padding)?);
        let keep = data.len().checked_sub(fill).ok_or(SkfError::Padding)?;
        let padding_ok = (1..=BLOCK).contains(&fill)
            && data
                .get(keep..)
                .is_some_and(|tail| tail.iter().all(|&b| usize::from(b) == fill));
        if !padding_ok {
            return Err(SkfError::Padding);
        }
        data.truncate(keep);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32907-2016 appendix A.1: one block, key = plaintext.
    #[test]
    fn the_standards_example() {
        let key: Key = hex::decode("0123456789abcdeffedcba9876543210")
            .unwrap()
            .try_into()
            .unwrap();
        let ecb = Mode {
            chaining: Chaining::Ecb,
            pad: false,
        };
        let out = encrypt(&key, ecb, &key).unwrap();
        assert_eq!(hex::encode(&out), "681edf34d206965e86b3e94f536e4246");
        assert_eq!(decrypt(&key, ecb, &out).unwrap().as_slice(), key);
    }

    #[test]
    fn cbc_with_padding_round_trips_and_rejects_a_wrong_key() {
        let mode = Mode {
            chaining: Chaining::Cbc { iv: [9; 16] },
            pad: true,
        };
        for len in [0, 1, 15, 16, 17, 40] {
            let plain = vec![0x5a; len];
            let out = encrypt(&[1; 16], mode, &plain).unwrap();
            assert_eq!(out.len(), (len / 16 + 1) * 16);
            assert_eq!(decrypt(&[1; 16], mode, &out).unwrap().as_slice(), plain);
        }
        // A wrong key gives garbage, whose padding is wrong but for chance.
        let out = encrypt(&[1; 16], mode, b"secret").unwrap();
        let wrong = decrypt(&[2; 16], mode, &out).map(|plain| plain.to_vec());
        assert_ne!(wrong, Ok(b"secret".to_vec()));
    }

    #[test]
    fn unpadded_input_must_be_whole_blocks() {
        let ecb = Mode {
            chaining: Chaining::Ecb,
            pad: false,
        };
        assert_eq!(encrypt(&[0; 16], ecb, &[0; 17]), Err(SkfError::InputLength));
        assert_eq!(
            decrypt(&[0; 16], ecb, &[0; 15]).map(|_| ()),
            Err(SkfError::InputLength)
        );
    }
}
