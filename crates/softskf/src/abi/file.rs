//! File functions (GM/T 0016 §7.4).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::{c_char, c_void};

use super::ffi::{self, Out, OutBuf};
use super::guard;
use super::types::FileAttribute;
use crate::ops::file;
use crate::store::Name;
use crate::{SkfError, limits};

/// `SKF_CreateFile`: needs the application's create-file rights; the file
/// holds `ulFileSize` zero bytes (at most 1 MiB). Rights are
/// `SECURE_NEVER_ACCOUNT` (0), `SECURE_ADM_ACCOUNT` (0x01),
/// `SECURE_USER_ACCOUNT` (0x10), both (0x11) or `SECURE_ANYONE_ACCOUNT`
/// (0xFF).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_CreateFile(
    application: *mut c_void,
    file_name: *const c_char,
    file_size: u32,
    read_rights: u32,
    write_rights: u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string.
        let name = unsafe { name_arg(file_name)? };
        file::create(
            ffi::handle(application),
            name,
            file_size as usize,
            read_rights,
            write_rights,
        )
    })
}

/// `SKF_DeleteFile`: needs the application's create-file rights.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DeleteFile(application: *mut c_void, file_name: *const c_char) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string.
        let name = unsafe { name_arg(file_name)? };
        file::delete(ffi::handle(application), &name)
    })
}

/// `SKF_EnumFiles`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_EnumFiles(
    application: *mut c_void,
    names: *mut c_char,
    size: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(names.cast(), size)? };
        let files = file::list(ffi::handle(application))?;
        out.fill(&ffi::multi_string(files.iter().map(Name::as_bytes)))?;
        Ok(())
    })
}

/// `SKF_GetFileInfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GetFileInfo(
    application: *mut c_void,
    file_name: *const c_char,
    info: *mut FileAttribute,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output
        // FILEATTRIBUTE.
        let (name, out) = unsafe { (name_arg(file_name)?, Out::new(info)?) };
        out.set(FileAttribute::new(&file::info(
            ffi::handle(application),
            &name,
        )?));
        Ok(())
    })
}

/// `SKF_ReadFile`: up to `ulSize` bytes from `ulOffset` (fewer at the end
/// of the file); needs the file's read rights. `*pulOutLen` is the buffer's
/// size on input, the bytes read on output.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ReadFile(
    application: *mut c_void,
    file_name: *const c_char,
    offset: u32,
    size: u32,
    out_data: *mut u8,
    out_len: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output buffer
        // with its length.
        let (name, out) = unsafe { (name_arg(file_name)?, OutBuf::new(out_data, out_len)?) };
        let data = file::read(
            ffi::handle(application),
            &name,
            offset as usize,
            size as usize,
        )?;
        out.fill(&data)?;
        Ok(())
    })
}

/// `SKF_WriteFile`: `ulSize` bytes at `ulOffset`, within the file's size;
/// needs the file's write rights.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_WriteFile(
    application: *mut c_void,
    file_name: *const c_char,
    offset: u32,
    data: *const u8,
    size: u32,
) -> u32 {
    guard(|| {
        if size as usize > limits::FILE_SIZE_MAX {
            return Err(SkfError::InputLength);
        }
        // SAFETY: the caller's promise for a string and `size` bytes.
        let (name, data) = unsafe { (name_arg(file_name)?, ffi::in_bytes(data, size)?) };
        file::write(ffi::handle(application), &name, offset as usize, data)
    })
}

/// A file name argument (up to 32 bytes).
///
/// # Safety
///
/// As [`ffi::c_text`].
unsafe fn name_arg(name: *const c_char) -> Result<Name, SkfError> {
    // SAFETY: forwarded.
    let bytes = unsafe { ffi::c_text(name, limits::NAME_MAX, SkfError::NameLength)? };
    Name::new(bytes, limits::NAME_MAX)
}
