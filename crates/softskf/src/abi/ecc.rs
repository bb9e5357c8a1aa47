//! SM2 functions (GM/T 0016 §7.6.11–7.6.23, and the vendors'
//! `SKF_ECCPrvKeyDecrypt`).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::c_void;

use super::ffi::{self, Out, OutBuf};
use super::guard;
use super::types::{EccCipherBlobHead, EccPublicKeyBlob, EccSignatureBlob, EnvelopedKeyBlobHead};
use crate::SkfError;
use crate::crypto::Ciphertext;
use crate::ops::ecc::{self, Envelope};

/// `SKF_GenECCKeyPair`: needs the user PIN; makes the container's signing
/// key pair (`ulAlgId` `SGD_SM2_1`, 0x00020200, or 0x00020100 as vendor
/// headers number it) and returns its public key.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GenECCKeyPair(
    container: *mut c_void,
    alg_id: u32,
    blob: *mut EccPublicKeyBlob,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output ECCPUBLICKEYBLOB.
        let out = unsafe { Out::new(blob)? };
        out.set(EccPublicKeyBlob::new(&ecc::generate(
            ffi::handle(container),
            alg_id,
        )?));
        Ok(())
    })
}

/// `SKF_ExportPublicKey`: the signing (`bSignFlag` TRUE) or encryption
/// public key as `ECCPUBLICKEYBLOB` bytes (132).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ExportPublicKey(
    container: *mut c_void,
    sign_flag: i32,
    blob: *mut u8,
    blob_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(blob, blob_len)? };
        let point = ecc::public_key(ffi::handle(container), sign_flag != 0)?;
        out.fill(&EccPublicKeyBlob::new(&point).to_bytes())?;
        Ok(())
    })
}

/// `SKF_ECCSignData`: needs the user PIN; signs the 32-byte digest
/// `SM3(Z ‖ M)` (from `SKF_DigestInit` with the public key).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ECCSignData(
    container: *mut c_void,
    digest: *const u8,
    digest_len: u32,
    signature: *mut EccSignatureBlob,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for the digest's bytes and an output
        // ECCSIGNATUREBLOB.
        let (digest, out) = unsafe { (ffi::in_bytes(digest, digest_len)?, Out::new(signature)?) };
        let signature = ecc::sign(ffi::handle(container), digest)?;
        out.set(EccSignatureBlob::new(&signature));
        Ok(())
    })
}

/// `SKF_ECCVerify`: checks a signature over a 32-byte digest with the
/// public key given; `SAR_FAIL` if it does not verify.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ECCVerify(
    device: *mut c_void,
    public_key: *const EccPublicKeyBlob,
    data: *const u8,
    data_len: u32,
    signature: *const EccSignatureBlob,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for two blobs and the data's bytes.
        let (key, data, signature) = unsafe {
            (
                ffi::read(public_key)?,
                ffi::in_bytes(data, data_len)?,
                ffi::read(signature)?,
            )
        };
        ecc::verify(
            ffi::handle(device),
            &key.to_point()?,
            data,
            &signature.to_signature()?,
        )
    })
}

/// `SKF_ExtECCVerify`: the same check as `SKF_ECCVerify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ExtECCVerify(
    device: *mut c_void,
    public_key: *const EccPublicKeyBlob,
    data: *const u8,
    data_len: u32,
    signature: *const EccSignatureBlob,
) -> u32 {
    // SAFETY: the same arguments under the same promises.
    unsafe { SKF_ECCVerify(device, public_key, data, data_len, signature) }
}

/// `SKF_ExtECCEncrypt`: encrypts 1 to 1024 bytes to the public key given.
/// `pCipherText` must have room for the blob and as many cipher bytes as
/// `ulPlainTextLen`; `CipherLen` is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ExtECCEncrypt(
    device: *mut c_void,
    public_key: *const EccPublicKeyBlob,
    plain: *const u8,
    plain_len: u32,
    cipher: *mut EccCipherBlobHead,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a blob, the plaintext's bytes and
        // an output blob.
        let (key, plain, out) = unsafe {
            (
                ffi::read(public_key)?,
                ffi::in_bytes(plain, plain_len)?,
                Out::new(cipher)?,
            )
        };
        let ciphertext = ecc::encrypt(ffi::handle(device), &key.to_point()?, plain)?;
        out.set(EccCipherBlobHead::new(&ciphertext)?);
        // SAFETY: the caller's promise: room after the blob's head for as
        // many bytes as the plaintext had, which is the cipher's length.
        unsafe { ffi::write_after(out.as_non_null(), &ciphertext.cipher) };
        Ok(())
    })
}

/// `SKF_ImportECCKeyPair`: needs the user PIN and a signing key pair; keeps
/// the KMC's encryption key pair (see `ops::ecc::Envelope`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ImportECCKeyPair(
    container: *mut c_void,
    envelope: *const EnvelopedKeyBlobHead,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an ENVELOPEDKEYBLOB, whose
        // ECCCIPHERBLOB follows the head.
        let (head, wrapped_key) = unsafe {
            let head = ffi::read(envelope)?;
            let blob = envelope.cast::<u8>().add(size_of::<EnvelopedKeyBlobHead>());
            (head, cipher_blob(blob.cast())?)
        };
        let envelope = Envelope {
            version: head.version,
            symmetric_algorithm: head.symm_alg_id,
            bits: head.bits,
            encrypted_private_key: head.encrypted_pri_key,
            public_key: head.pub_key.to_point()?,
            wrapped_key,
        };
        ecc::import_key_pair(ffi::handle(container), &envelope)
    })
}

/// `SKF_ECCPrvKeyDecrypt` (a vendor extension, in the form of Longmai's
/// mToken GM3000 and other vendors' headers): needs the user PIN; decrypts
/// with the container's encryption private key. Output by the size protocol.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ECCPrvKeyDecrypt(
    container: *mut c_void,
    cipher: *const EccCipherBlobHead,
    plain: *mut u8,
    plain_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an ECCCIPHERBLOB with its bytes,
        // and an output buffer with its length.
        let (ciphertext, out) = unsafe { (cipher_blob(cipher)?, OutBuf::new(plain, plain_len)?) };
        out.fill(&ecc::decrypt(ffi::handle(container), &ciphertext)?)?;
        Ok(())
    })
}

/// An input `ECCCIPHERBLOB`: its head, then `CipherLen` bytes (1 to 1024).
///
/// # Safety
///
/// A non-null `blob` is a head followed by its `CipherLen` bytes, valid for
/// the call.
unsafe fn cipher_blob(blob: *const EccCipherBlobHead) -> Result<Ciphertext, SkfError> {
    // SAFETY: forwarded; the length is bounded before the bytes are read.
    unsafe {
        let head = ffi::read(blob)?;
        let cipher = ffi::bytes_after(blob, head.checked_len()?);
        head.to_ciphertext(cipher)
    }
}
