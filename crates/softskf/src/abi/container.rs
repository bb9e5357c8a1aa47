//! Container and certificate functions (GM/T 0016 §7.5).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::{c_char, c_void};

use super::ffi::{self, Out, OutBuf};
use super::guard;
use crate::ops::container;
use crate::store::Name;
use crate::{SkfError, limits};

/// `SKF_CreateContainer`: needs the user PIN.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_CreateContainer(
    application: *mut c_void,
    container_name: *const c_char,
    container: *mut *mut c_void,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output handle.
        let (name, out) = unsafe { (name_arg(container_name)?, Out::new(container)?) };
        out.set(container::create(ffi::handle(application), name)?.to_raw());
        Ok(())
    })
}

/// `SKF_DeleteContainer`: needs the user PIN.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DeleteContainer(
    application: *mut c_void,
    container_name: *const c_char,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string.
        let name = unsafe { name_arg(container_name)? };
        container::delete(ffi::handle(application), &name)
    })
}

/// `SKF_OpenContainer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_OpenContainer(
    application: *mut c_void,
    container_name: *const c_char,
    container: *mut *mut c_void,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output handle.
        let (name, out) = unsafe { (name_arg(container_name)?, Out::new(container)?) };
        out.set(container::open(ffi::handle(application), name)?.to_raw());
        Ok(())
    })
}

/// `SKF_CloseContainer`.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_CloseContainer(container: *mut c_void) -> u32 {
    guard(|| container::close(ffi::handle(container)))
}

/// `SKF_EnumContainer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_EnumContainer(
    application: *mut c_void,
    names: *mut c_char,
    size: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(names.cast(), size)? };
        let containers = container::list(ffi::handle(application))?;
        out.fill(&ffi::multi_string(containers.iter().map(Name::as_bytes)))?;
        Ok(())
    })
}

/// `SKF_GetContainerType`: 0 empty, 2 ECC (no RSA here).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GetContainerType(container: *mut c_void, kind: *mut u32) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output value.
        let out = unsafe { Out::new(kind)? };
        out.set(container::kind(ffi::handle(container))?);
        Ok(())
    })
}

/// `SKF_ImportCertificate`: needs the user PIN; `bSignFlag` TRUE for the
/// signing certificate, FALSE for the encryption one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ImportCertificate(
    container: *mut c_void,
    sign_flag: i32,
    cert: *const u8,
    cert_len: u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise: `cert` holds `cert_len` bytes.
        let cert = unsafe { ffi::in_bytes(cert, cert_len)? };
        container::import_certificate(ffi::handle(container), sign_flag != 0, cert)
    })
}

/// `SKF_ExportCertificate`: `SAR_CERTNOTFOUNTERR` for an empty slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ExportCertificate(
    container: *mut c_void,
    sign_flag: i32,
    cert: *mut u8,
    cert_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(cert, cert_len)? };
        out.fill(&container::export_certificate(
            ffi::handle(container),
            sign_flag != 0,
        )?)?;
        Ok(())
    })
}

/// A container name argument (up to 64 bytes).
///
/// # Safety
///
/// As [`ffi::c_text`].
unsafe fn name_arg(name: *const c_char) -> Result<Name, SkfError> {
    // SAFETY: forwarded.
    let bytes = unsafe { ffi::c_text(name, limits::CONTAINER_NAME_MAX, SkfError::NameLength)? };
    Name::new(bytes, limits::CONTAINER_NAME_MAX)
}
