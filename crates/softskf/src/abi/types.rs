//! The standard's structures, byte for byte (`#pragma pack(1)`, `ULONG` of
//! 4 bytes), and their conversion to the typed values of `ops`.
//!
//! SM2 values are 32 bytes right-aligned in 64-byte fields (the fields are
//! sized for 512-bit curves); a blob with anything in the left half is not an
//! SM2 blob and is refused.

use crate::crypto::{Ciphertext, PublicPoint, Signature};
use crate::ops::device::DeviceInfo;
use crate::ops::file::FileInfo;
use crate::{SkfError, limits, sgd};

/// `VERSION`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
}

/// `DEVINFO`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct DevInfo {
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
pub struct EccPublicKeyBlob {
    pub bit_len: u32,
    pub x: [u8; 64],
    pub y: [u8; 64],
}

/// `ECCSIGNATUREBLOB`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct EccSignatureBlob {
    pub r: [u8; 64],
    pub s: [u8; 64],
}

/// `ECCCIPHERBLOB` up to `CipherLen`; its `Cipher[CipherLen]` follows (C
/// headers declare `Cipher[1]`, so `sizeof` there is this plus one).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct EccCipherBlobHead {
    pub x: [u8; 64],
    pub y: [u8; 64],
    pub hash: [u8; 32],
    pub cipher_len: u32,
}

/// `ENVELOPEDKEYBLOB` up to its `ECCCipherBlob`, which follows.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct EnvelopedKeyBlobHead {
    pub version: u32,
    pub symm_alg_id: u32,
    pub bits: u32,
    pub encrypted_pri_key: [u8; 64],
    pub pub_key: EccPublicKeyBlob,
}

/// `FILEATTRIBUTE`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct FileAttribute {
    pub file_name: [u8; 32],
    pub file_size: u32,
    pub read_rights: u32,
    pub write_rights: u32,
}

/// `BLOCKCIPHERPARAM` (passed by value to `SKF_EncryptInit`).
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct BlockCipherParam {
    pub iv: [u8; 32],
    pub iv_len: u32,
    pub padding_type: u32,
    pub feed_bit_len: u32,
}

// The sizes C sees (checked against the C compiler by tests/skf/abi.rs).
const _: () = assert!(size_of::<DevInfo>() == 294);
const _: () = assert!(size_of::<EccPublicKeyBlob>() == 132);
const _: () = assert!(size_of::<EccSignatureBlob>() == 128);
const _: () = assert!(size_of::<EccCipherBlobHead>() == 164);
const _: () = assert!(size_of::<EnvelopedKeyBlobHead>() == 208);
const _: () = assert!(size_of::<FileAttribute>() == 44);
const _: () = assert!(size_of::<BlockCipherParam>() == 44);

impl DevInfo {
    pub fn new(info: &DeviceInfo) -> Self {
        let version = Version { major: 1, minor: 0 };
        DevInfo {
            version,
            manufacturer: text(b"certhall softskf"),
            issuer: text(b"certhall softskf"),
            label: text(info.label.as_bytes()),
            serial_number: text(info.serial.as_bytes()),
            hw_version: version,
            firmware_version: version,
            alg_sym_cap: sgd::SGD_SM4_ECB | sgd::SGD_SM4_CBC,
            alg_asym_cap: if info.rsa_only {
                sgd::SGD_RSA
            } else {
                sgd::SGD_SM2 | sgd::SGD_SM2_1 | sgd::SGD_SM2_3
            },
            alg_hash_cap: sgd::SGD_SM3,
            dev_auth_alg_id: sgd::SGD_SM4_ECB,
            total_space: saturate(info.total_space),
            free_space: saturate(info.free_space),
            max_ecc_buffer_size: limits::ECC_BUFFER_MAX as u32,
            max_buffer_size: limits::BUFFER_MAX as u32,
            reserved: [0; 64],
        }
    }
}

impl EccPublicKeyBlob {
    pub fn new(point: &PublicPoint) -> Self {
        EccPublicKeyBlob {
            bit_len: 256,
            x: widen(&point.x),
            y: widen(&point.y),
        }
    }

    /// `InvalidParam` unless a 256-bit blob of a point on the curve.
    pub fn to_point(self) -> Result<PublicPoint, SkfError> {
        if { self.bit_len } != 256 {
            return Err(SkfError::InvalidParam);
        }
        let point = PublicPoint {
            x: narrow(&self.x)?,
            y: narrow(&self.y)?,
        };
        point.to_key()?;
        Ok(point)
    }

    /// The blob's bytes, for `SKF_ExportPublicKey`'s byte buffer.
    pub fn to_bytes(self) -> [u8; 132] {
        let mut bytes = [0u8; 132];
        bytes[..4].copy_from_slice(&{ self.bit_len }.to_le_bytes());
        bytes[4..68].copy_from_slice(&self.x);
        bytes[68..].copy_from_slice(&self.y);
        bytes
    }
}

impl EccSignatureBlob {
    pub fn new(signature: &Signature) -> Self {
        EccSignatureBlob {
            r: widen(&signature.r),
            s: widen(&signature.s),
        }
    }

    pub fn to_signature(self) -> Result<Signature, SkfError> {
        Ok(Signature {
            r: narrow(&self.r)?,
            s: narrow(&self.s)?,
        })
    }
}

impl EccCipherBlobHead {
    pub fn new(ciphertext: &Ciphertext) -> Result<Self, SkfError> {
        Ok(EccCipherBlobHead {
            x: widen(&ciphertext.x),
            y: widen(&ciphertext.y),
            hash: ciphertext.hash,
            cipher_len: u32::try_from(ciphertext.cipher.len())
                .map_err(|_| SkfError::InputLength)?,
        })
    }

    /// The ciphertext, given the `cipher_len` bytes that follow the head.
    pub fn to_ciphertext(self, cipher: &[u8]) -> Result<Ciphertext, SkfError> {
        Ok(Ciphertext {
            x: narrow(&self.x)?,
            y: narrow(&self.y)?,
            hash: self.hash,
            cipher: cipher.to_vec(),
        })
    }

    /// How many bytes follow, refused beyond what an SM2 operation here
    /// takes (so a garbage length is not read as a huge buffer).
    pub fn checked_len(&self) -> Result<usize, SkfError> {
        let len = self.cipher_len as usize;
        if (1..=limits::ECC_BUFFER_MAX).contains(&len) {
            Ok(len)
        } else {
            Err(SkfError::InputLength)
        }
    }
}

impl FileAttribute {
    pub fn new(info: &FileInfo) -> Self {
        let mut file_name = [0u8; 32];
        let name = info.name.as_bytes();
        file_name[..name.len()].copy_from_slice(name);
        FileAttribute {
            file_name,
            file_size: info.size,
            read_rights: info.read_rights,
            write_rights: info.write_rights,
        }
    }
}

/// `text` in a zero-filled field, which it fits with its NUL
/// (`DEVICE_TEXT_MAX`); anything longer is cut to keep the NUL.
fn text<const N: usize>(value: &[u8]) -> [u8; N] {
    let mut field = [0u8; N];
    let len = value.len().min(N - 1);
    field[..len].copy_from_slice(&value[..len]);
    field
}

fn saturate(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A 32-byte value right-aligned in a 64-byte field.
fn widen(value: &[u8; 32]) -> [u8; 64] {
    let mut field = [0u8; 64];
    field[32..].copy_from_slice(value);
    field
}

/// The 32-byte value of a 64-byte field; `InvalidParam` if its left half is
/// not zero.
fn narrow(field: &[u8; 64]) -> Result<[u8; 32], SkfError> {
    let (high, low) = field.split_at(32);
    if high.iter().any(|&b| b != 0) {
        return Err(SkfError::InvalidParam);
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
    }

    #[test]
    fn values_sit_right_aligned_and_a_left_half_is_refused() {
        let mut field = widen(&[0xab; 32]);
        assert_eq!(&field[..32], &[0; 32]);
        assert_eq!(narrow(&field), Ok([0xab; 32]));
        field[0] = 1;
        assert_eq!(narrow(&field), Err(SkfError::InvalidParam));
    }

    #[test]
    fn a_public_key_blob_must_be_a_point_of_256_bits() {
        let point = PublicPoint::of_secret(&crate::crypto::sm2::generate().unwrap());
        let blob = EccPublicKeyBlob::new(&point);
        assert_eq!(blob.to_point(), Ok(point));
        let mut wrong_size = blob;
        wrong_size.bit_len = 512;
        assert_eq!(wrong_size.to_point(), Err(SkfError::InvalidParam));
        let mut off_curve = blob;
        off_curve.y[63] ^= 1;
        assert_eq!(off_curve.to_point(), Err(SkfError::InvalidParam));
    }
}
