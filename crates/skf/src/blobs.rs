//! The standard's structures byte for byte (`#pragma pack(1)`, 4-byte
//! `ULONG`), as softskf's `include/skf.h` declares them, and their
//! conversion to and from the typed values of [`crate::ecc`].
//!
//! SM2 values are 32 bytes right-aligned in 64-byte fields (sized for
//! 512-bit curves); a blob from the vendor with anything in the left half is
//! not an SM2 blob and is refused as `Vendor`.

use crate::SkfError;
use crate::ecc::{EccCipher, EnvelopedKey, Sm2PublicKey, Sm2Signature};

/// `VERSION`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Version {
    pub major: u8,
    pub minor: u8,
}

/// `DEVINFO`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct DevInfo {
    pub version: Version,
    pub manufacturer: [u8; 64],
    pub issuer: [u8; 64],
    pub label: [u8; 32],
    pub serial_number: [u8; 32],
    pub hw_version: Version,
    pub firmware_version: Version,
    pub alg_sym_cap: u32,
    pub alg_asym_cap: u32,
    pub alg_hash_cap: u32,
    pub dev_auth_alg_id: u32,
    pub total_space: u32,
    pub free_space: u32,
    pub max_ecc_buffer_size: u32,
    pub max_buffer_size: u32,
    pub reserved: [u8; 64],
}

/// `ECCPUBLICKEYBLOB`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct EccPublicKeyBlob {
    pub bit_len: u32,
    pub x: [u8; 64],
    pub y: [u8; 64],
}

/// `ECCSIGNATUREBLOB`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct EccSignatureBlob {
    pub r: [u8; 64],
    pub s: [u8; 64],
}

/// `ECCCIPHERBLOB` up to `CipherLen`; `CipherLen` bytes of C2 follow (C
/// headers declare `Cipher[1]`, so their `sizeof` is this plus one).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct EccCipherBlobHead {
    pub x: [u8; 64],
    pub y: [u8; 64],
    pub hash: [u8; 32],
    pub cipher_len: u32,
}

/// `ENVELOPEDKEYBLOB` up to its `ECCCipherBlob`, which follows.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvelopedKeyBlobHead {
    pub version: u32,
    pub symm_alg_id: u32,
    pub bits: u32,
    pub encrypted_pri_key: [u8; 64],
    pub pub_key: EccPublicKeyBlob,
}

/// `FILEATTRIBUTE`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileAttribute {
    pub file_name: [u8; 32],
    pub file_size: u32,
    pub read_rights: u32,
    pub write_rights: u32,
}

/// `BLOCKCIPHERPARAM` (passed by value to `SKF_EncryptInit`).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockCipherParam {
    pub iv: [u8; 32],
    pub iv_len: u32,
    pub padding_type: u32,
    pub feed_bit_len: u32,
}

// The sizes C sees with `#pragma pack(1)` (softskf checks its own against
// the C compiler; these are the same numbers).
const _: () = assert!(size_of::<DevInfo>() == 294);
const _: () = assert!(size_of::<EccPublicKeyBlob>() == 132);
const _: () = assert!(size_of::<EccSignatureBlob>() == 128);
const _: () = assert!(size_of::<EccCipherBlobHead>() == 164);
const _: () = assert!(size_of::<EnvelopedKeyBlobHead>() == 208);
const _: () = assert!(size_of::<FileAttribute>() == 44);
const _: () = assert!(size_of::<BlockCipherParam>() == 44);

/// The byte length of `ECCPUBLICKEYBLOB`, as `SKF_ExportPublicKey` writes it.
pub(crate) const PUBLIC_KEY_BLOB_LEN: usize = size_of::<EccPublicKeyBlob>();

/// Zero-filled outputs: the vendor writes into memory that is already
/// initialised, so a vendor that writes less leaves zeros, never garbage.
pub(crate) trait Zeroed: Sized {
    fn zeroed() -> Self;
}

impl Zeroed for DevInfo {
    fn zeroed() -> Self {
        DevInfo {
            version: Version::default(),
            manufacturer: [0; 64],
            issuer: [0; 64],
            label: [0; 32],
            serial_number: [0; 32],
            hw_version: Version::default(),
            firmware_version: Version::default(),
            alg_sym_cap: 0,
            alg_asym_cap: 0,
            alg_hash_cap: 0,
            dev_auth_alg_id: 0,
            total_space: 0,
            free_space: 0,
            max_ecc_buffer_size: 0,
            max_buffer_size: 0,
            reserved: [0; 64],
        }
    }
}

impl Zeroed for EccPublicKeyBlob {
    fn zeroed() -> Self {
        EccPublicKeyBlob {
            bit_len: 0,
            x: [0; 64],
            y: [0; 64],
        }
    }
}

impl Zeroed for EccSignatureBlob {
    fn zeroed() -> Self {
        EccSignatureBlob {
            r: [0; 64],
            s: [0; 64],
        }
    }
}

impl Zeroed for FileAttribute {
    fn zeroed() -> Self {
        FileAttribute {
            file_name: [0; 32],
            file_size: 0,
            read_rights: 0,
            write_rights: 0,
        }
    }
}

impl EccPublicKeyBlob {
    pub fn new(key: &Sm2PublicKey) -> Self {
        EccPublicKeyBlob {
            bit_len: 256,
            x: widen(&key.x),
            y: widen(&key.y),
        }
    }

    /// The key of a blob the vendor wrote; `Vendor` unless 256 bits.
    pub fn to_key(self) -> Result<Sm2PublicKey, SkfError> {
        if { self.bit_len } != 256 {
            return Err(SkfError::Vendor(format!(
                "a public key of {} bits, not an SM2 key",
                { self.bit_len }
            )));
        }
        Ok(Sm2PublicKey {
            x: narrow(&self.x)?,
            y: narrow(&self.y)?,
        })
    }

    /// The blob as `SKF_ExportPublicKey`'s byte buffer holds it.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_BLOB_LEN]) -> Self {
        let mut bit_len = [0u8; 4];
        bit_len.copy_from_slice(&bytes[..4]);
        let mut blob = EccPublicKeyBlob::zeroed();
        blob.bit_len = u32::from_le_bytes(bit_len);
        blob.x.copy_from_slice(&bytes[4..68]);
        blob.y.copy_from_slice(&bytes[68..]);
        blob
    }

    pub fn to_bytes(self) -> [u8; PUBLIC_KEY_BLOB_LEN] {
        let mut bytes = [0u8; PUBLIC_KEY_BLOB_LEN];
        bytes[..4].copy_from_slice(&{ self.bit_len }.to_le_bytes());
        bytes[4..68].copy_from_slice(&self.x);
        bytes[68..].copy_from_slice(&self.y);
        bytes
    }
}

impl EccSignatureBlob {
    pub fn to_signature(self) -> Result<Sm2Signature, SkfError> {
        Ok(Sm2Signature {
            r: narrow(&self.r)?,
            s: narrow(&self.s)?,
        })
    }

    pub fn new(signature: &Sm2Signature) -> Self {
        EccSignatureBlob {
            r: widen(&signature.r),
            s: widen(&signature.s),
        }
    }
}

/// An `ECCCIPHERBLOB` as bytes: the head, then C2.
pub(crate) fn cipher_blob_bytes(cipher: &EccCipher) -> Result<Vec<u8>, SkfError> {
    let len = u32::try_from(cipher.cipher.len())
        .map_err(|_| SkfError::InvalidInput("密文过长".into()))?;
    let mut bytes = Vec::with_capacity(size_of::<EccCipherBlobHead>() + cipher.cipher.len());
    bytes.extend_from_slice(&widen(&cipher.x));
    bytes.extend_from_slice(&widen(&cipher.y));
    bytes.extend_from_slice(&cipher.hash);
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&cipher.cipher);
    Ok(bytes)
}

/// The cipher of an `ECCCIPHERBLOB` the vendor wrote into `bytes`, whose
/// `CipherLen` is checked against what follows the head in `bytes`.
pub(crate) fn cipher_from_bytes(
    function: &'static str,
    bytes: &[u8],
) -> Result<EccCipher, SkfError> {
    let head_len = size_of::<EccCipherBlobHead>();
    let (head, tail) = bytes
        .split_at_checked(head_len)
        .ok_or_else(|| SkfError::overrun(function, head_len, bytes.len()))?;
    let mut len = [0u8; 4];
    len.copy_from_slice(&head[160..164]);
    let len = u32::from_le_bytes(len) as usize;
    let cipher = tail
        .get(..len)
        .ok_or_else(|| SkfError::overrun(function, len, tail.len()))?;
    let field = |range: std::ops::Range<usize>| -> [u8; 64] {
        let mut field = [0u8; 64];
        field.copy_from_slice(&head[range]);
        field
    };
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&head[128..160]);
    Ok(EccCipher {
        x: narrow(&field(0..64))?,
        y: narrow(&field(64..128))?,
        hash,
        cipher: cipher.to_vec(),
    })
}

/// An `ENVELOPEDKEYBLOB` as bytes: the head, then its `ECCCIPHERBLOB`.
pub(crate) fn enveloped_key_bytes(key: &EnvelopedKey) -> Result<Vec<u8>, SkfError> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&key.version.to_le_bytes());
    bytes.extend_from_slice(&key.symmetric_algorithm.to_le_bytes());
    bytes.extend_from_slice(&key.bits.to_le_bytes());
    bytes.extend_from_slice(&key.encrypted_private_key);
    bytes.extend_from_slice(&EccPublicKeyBlob::new(&key.public_key).to_bytes());
    debug_assert_eq!(bytes.len(), size_of::<EnvelopedKeyBlobHead>());
    bytes.extend_from_slice(&cipher_blob_bytes(&key.wrapped_key)?);
    Ok(bytes)
}

/// A NUL-terminated text field (`DEVINFO`, `FILEATTRIBUTE`): up to the first
/// NUL, or the whole field when it is full. Vendors may write GBK; what is
/// not UTF-8 is replaced, as this is for display.
pub(crate) fn field_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// A 32-byte value right-aligned in a 64-byte field.
fn widen(value: &[u8; 32]) -> [u8; 64] {
    let mut field = [0u8; 64];
    field[32..].copy_from_slice(value);
    field
}

/// The 32-byte value of a 64-byte field the vendor wrote.
fn narrow(field: &[u8; 64]) -> Result<[u8; 32], SkfError> {
    let (high, low) = field.split_at(32);
    if high.iter().any(|&b| b != 0) {
        return Err(SkfError::Vendor(
            "a value longer than 256 bits, not SM2".into(),
        ));
    }
    let mut value = [0u8; 32];
    value.copy_from_slice(low);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use super::*;

    #[test]
    fn field_offsets_are_the_standards() {
        assert_eq!(offset_of!(DevInfo, label), 130);
        assert_eq!(offset_of!(DevInfo, alg_sym_cap), 198);
        assert_eq!(offset_of!(DevInfo, reserved), 230);
        assert_eq!(offset_of!(EccCipherBlobHead, hash), 128);
        assert_eq!(offset_of!(EccCipherBlobHead, cipher_len), 160);
        assert_eq!(offset_of!(EnvelopedKeyBlobHead, encrypted_pri_key), 12);
        assert_eq!(offset_of!(EnvelopedKeyBlobHead, pub_key), 76);
        assert_eq!(offset_of!(FileAttribute, file_size), 32);
        assert_eq!(offset_of!(BlockCipherParam, iv_len), 32);
    }

    #[test]
    fn a_cipher_blob_round_trips_and_a_long_length_is_refused() {
        let cipher = EccCipher {
            x: [1; 32],
            y: [2; 32],
            hash: [3; 32],
            cipher: vec![4; 5],
        };
        let mut bytes = cipher_blob_bytes(&cipher).unwrap();
        assert_eq!(bytes.len(), 164 + 5);
        assert_eq!(cipher_from_bytes("SKF_X", &bytes).unwrap(), cipher);
        bytes[160] = 6;
        assert!(matches!(
            cipher_from_bytes("SKF_X", &bytes),
            Err(SkfError::Vendor(_))
        ));
    }

    #[test]
    fn a_left_half_is_not_sm2() {
        let mut blob = EccPublicKeyBlob::new(&Sm2PublicKey {
            x: [7; 32],
            y: [8; 32],
        });
        assert_eq!(
            EccPublicKeyBlob::from_bytes(&blob.to_bytes())
                .to_key()
                .unwrap()
                .x,
            [7; 32]
        );
        blob.x[0] = 1;
        assert!(matches!(blob.to_key(), Err(SkfError::Vendor(_))));
    }

    #[test]
    fn text_fields_end_at_nul_or_fill_the_field() {
        assert_eq!(field_text(b"abc\0\0"), "abc");
        assert_eq!(field_text(b"abcde"), "abcde");
    }
}
