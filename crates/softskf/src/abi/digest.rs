//! Hash and session-key functions (GM/T 0016 §7.6.25–7.6.37, §7.6.42).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::c_void;

use super::ffi::{self, Out, OutBuf};
use super::guard;
use super::types::{BlockCipherParam, EccPublicKeyBlob};
use crate::crypto::{SM3_LEN, sm4};
use crate::handles::Handle;
use crate::ops::{digest, symm};
use crate::{SkfError, limits};

/// `SKF_DigestInit`: `ulAlgID` `SGD_SM3`. With `pPubKey`, the hash starts
/// with the Z value of that key and `pucID` (`ulIDLen` bytes; the default
/// `1234567812345678` if null or empty), as SM2 signing needs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DigestInit(
    device: *mut c_void,
    alg_id: u32,
    public_key: *const EccPublicKeyBlob,
    id: *const u8,
    id_len: u32,
    hash: *mut *mut c_void,
) -> u32 {
    guard(|| {
        if id_len as usize > limits::ID_MAX {
            return Err(SkfError::InputLength);
        }
        // SAFETY: the caller's promise for an optional blob, the ID's bytes
        // (not read if null) and an output handle.
        let (key, id, out) = unsafe {
            let key = if public_key.is_null() {
                None
            } else {
                Some(ffi::read(public_key)?)
            };
            let id = if id.is_null() {
                &[][..]
            } else {
                ffi::in_bytes(id, id_len)?
            };
            (key, id, Out::new(hash)?)
        };
        let signer = key.map(EccPublicKeyBlob::to_point).transpose()?;
        out.set(digest::init(ffi::handle(device), alg_id, signer.as_ref(), id)?.to_raw());
        Ok(())
    })
}

/// `SKF_Digest`: hashes `pbData` and ends the hash. A size query (null
/// `pbHashData`) leaves the hash untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_Digest(
    hash: *mut c_void,
    data: *const u8,
    data_len: u32,
    hash_data: *mut u8,
    hash_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for the data's bytes and an output
        // buffer with its length.
        let (data, out) = unsafe {
            (
                ffi::in_bytes(data, data_len)?,
                OutBuf::new(hash_data, hash_len)?,
            )
        };
        if out.room_for(SM3_LEN)? {
            out.fill(&digest::finish(ffi::handle(hash), data)?)?;
        }
        Ok(())
    })
}

/// `SKF_DigestUpdate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DigestUpdate(
    hash: *mut c_void,
    data: *const u8,
    data_len: u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for the data's bytes.
        let data = unsafe { ffi::in_bytes(data, data_len)? };
        digest::update(ffi::handle(hash), data)
    })
}

/// `SKF_DigestFinal`: ends the hash. A size query leaves it untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DigestFinal(
    hash: *mut c_void,
    hash_data: *mut u8,
    hash_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(hash_data, hash_len)? };
        if out.room_for(SM3_LEN)? {
            out.fill(&digest::finish(ffi::handle(hash), &[])?)?;
        }
        Ok(())
    })
}

/// `SKF_CloseHandle`: closes a hash or session key handle.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_CloseHandle(handle: *mut c_void) -> u32 {
    guard(|| digest::close_handle(ffi::handle(handle)))
}

/// `SKF_SetSymmKey`: a 16-byte SM4 key for `SGD_SM4_ECB` or `SGD_SM4_CBC`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_SetSymmKey(
    device: *mut c_void,
    key: *const u8,
    alg_id: u32,
    key_handle: *mut *mut c_void,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise: an SM4 key is 16 bytes; an output
        // handle.
        let (key, out) = unsafe { (ffi::read(key.cast::<sm4::Key>())?, Out::new(key_handle)?) };
        out.set(symm::set_key(ffi::handle(device), &key, alg_id)?.to_raw());
        Ok(())
    })
}

/// `SKF_EncryptInit`: `PaddingType` 0 (none) or 1 (PKCS#5); CBC takes a
/// 16-byte IV.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_EncryptInit(key: *mut c_void, param: BlockCipherParam) -> u32 {
    guard(|| init(key, true, param))
}

/// `SKF_Encrypt`: one call, ending the operation; output by the size
/// protocol (a size query does not end it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_Encrypt(
    key: *mut c_void,
    data: *const u8,
    data_len: u32,
    encrypted: *mut u8,
    encrypted_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for the input bytes and an output
        // buffer with its length.
        let (data, out) = unsafe {
            (
                ffi::in_bytes(data, data_len)?,
                OutBuf::new(encrypted, encrypted_len)?,
            )
        };
        let key = ffi::handle(key);
        deliver(key, &symm::run(key, true, data)?, &out)
    })
}

/// `SKF_DecryptInit`: as `SKF_EncryptInit`.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_DecryptInit(key: *mut c_void, param: BlockCipherParam) -> u32 {
    guard(|| init(key, false, param))
}

/// `SKF_Decrypt`: as `SKF_Encrypt`; `SAR_DECRYPTPADERR` for wrong padding.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_Decrypt(
    key: *mut c_void,
    encrypted: *const u8,
    encrypted_len: u32,
    data: *mut u8,
    data_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for the input bytes and an output
        // buffer with its length.
        let (encrypted, out) = unsafe {
            (
                ffi::in_bytes(encrypted, encrypted_len)?,
                OutBuf::new(data, data_len)?,
            )
        };
        let key = ffi::handle(key);
        deliver(key, &symm::run(key, false, encrypted)?, &out)
    })
}

fn init(key: *mut c_void, encrypt: bool, param: BlockCipherParam) -> Result<(), SkfError> {
    let iv_len = (param.iv_len as usize).min(param.iv.len());
    symm::init(
        ffi::handle(key),
        encrypt,
        &param.iv[..iv_len],
        param.padding_type,
    )
}

/// Hands over the result, then ends the operation (unless only its size
/// was asked). The input is no longer borrowed here: C may pass the same
/// buffer for input and output.
fn deliver(key: Handle, output: &[u8], out: &OutBuf<'_>) -> Result<(), SkfError> {
    if out.fill(output)? {
        symm::finish(key)?;
    }
    Ok(())
}
