//! Calls on an application handle: PINs (§7.2), files (§7.4) and the
//! container functions that take an application (§7.5).

#![expect(unsafe_code, reason = "calls the vendor's application functions")]

use std::ffi::c_void;
use std::ptr;

use super::{AppHandle, CText, ContainerHandle, handle, len_u32, out_buf};
use crate::SkfError;
use crate::blobs::{FileAttribute, Zeroed};

/// The raw answer of a PIN check: the code and the tries the vendor wrote
/// (meaningful only with `SAR_PIN_INCORRECT`).
pub(crate) struct PinAnswer {
    pub code: u32,
    pub remaining: u32,
}

impl AppHandle<'_> {
    fn required(&self) -> &super::Required {
        &self.dev.lib.required
    }

    /// `SKF_VerifyPIN`.
    pub(crate) fn verify_pin(&self, role: u32, pin: &CText) -> PinAnswer {
        let mut pin = pin.for_call();
        let mut remaining = 0u32;
        // SAFETY: a live handle, a NUL-terminated string of ours, a live u32.
        let code = unsafe {
            (self.required().verify_pin)(
                self.raw.as_ptr(),
                role,
                pin.as_mut_ptr().cast(),
                &mut remaining,
            )
        };
        PinAnswer { code, remaining }
    }

    /// `SKF_ChangePIN`.
    pub(crate) fn change_pin(&self, role: u32, old: &CText, new: &CText) -> PinAnswer {
        let (mut old, mut new) = (old.for_call(), new.for_call());
        let mut remaining = 0u32;
        // SAFETY: a live handle, two NUL-terminated strings of ours, a live
        // u32.
        let code = unsafe {
            (self.required().change_pin)(
                self.raw.as_ptr(),
                role,
                old.as_mut_ptr().cast(),
                new.as_mut_ptr().cast(),
                &mut remaining,
            )
        };
        PinAnswer { code, remaining }
    }

    /// `SKF_UnblockPIN`.
    pub(crate) fn unblock_pin(&self, admin: &CText, new_user: &CText) -> PinAnswer {
        let (mut admin, mut new) = (admin.for_call(), new_user.for_call());
        let mut remaining = 0u32;
        // SAFETY: as for `change_pin`.
        let code = unsafe {
            (self.required().unblock_pin)(
                self.raw.as_ptr(),
                admin.as_mut_ptr().cast(),
                new.as_mut_ptr().cast(),
                &mut remaining,
            )
        };
        PinAnswer { code, remaining }
    }

    /// `SKF_GetPINInfo`: (max, remaining, default).
    pub(crate) fn get_pin_info(&self, role: u32) -> Result<(u32, u32, bool), SkfError> {
        let (mut max, mut remaining, mut default) = (0u32, 0u32, 0i32);
        // SAFETY: a live handle and three live values.
        let code = unsafe {
            (self.required().get_pin_info)(
                self.raw.as_ptr(),
                role,
                &mut max,
                &mut remaining,
                &mut default,
            )
        };
        SkfError::check("SKF_GetPINInfo", code)?;
        Ok((max, remaining, default != 0))
    }

    /// `SKF_ClearSecureState`.
    pub(crate) fn clear_secure_state(&self) -> Result<(), SkfError> {
        // SAFETY: a live handle.
        let code = unsafe { (self.required().clear_secure_state)(self.raw.as_ptr()) };
        SkfError::check("SKF_ClearSecureState", code)
    }

    /// `SKF_CreateContainer` or `SKF_OpenContainer`.
    pub(crate) fn container(
        &self,
        name: &CText,
        create: bool,
    ) -> Result<ContainerHandle<'_>, SkfError> {
        let (call, function) = if create {
            (self.required().create_container, "SKF_CreateContainer")
        } else {
            (self.required().open_container, "SKF_OpenContainer")
        };
        let mut name = name.for_call();
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a live handle, a NUL-terminated string of ours, a live
        // handle slot.
        let code = unsafe { call(self.raw.as_ptr(), name.as_mut_ptr().cast(), &mut raw) };
        SkfError::check(function, code)?;
        Ok(ContainerHandle {
            app: self,
            raw: handle(function, raw)?,
        })
    }

    /// `SKF_EnumContainer` or `SKF_EnumFiles`: the claimed list length.
    pub(crate) fn enum_names(
        &self,
        files: bool,
        buf: Option<&mut [u8]>,
    ) -> Result<usize, SkfError> {
        let (call, function) = if files {
            (self.required().enum_files, "SKF_EnumFiles")
        } else {
            (self.required().enum_container, "SKF_EnumContainer")
        };
        let (ptr, mut len) = out_buf(buf);
        // SAFETY: a live handle; `ptr` null or a buffer of `len` bytes.
        let code = unsafe { call(self.raw.as_ptr(), ptr.cast(), &mut len) };
        SkfError::check(function, code)?;
        Ok(len as usize)
    }

    /// `SKF_DeleteContainer` or `SKF_DeleteFile`.
    pub(crate) fn delete(&self, file: bool, name: &CText) -> Result<(), SkfError> {
        let (call, function) = if file {
            (self.required().delete_file, "SKF_DeleteFile")
        } else {
            (self.required().delete_container, "SKF_DeleteContainer")
        };
        let mut name = name.for_call();
        // SAFETY: a live handle and a NUL-terminated string of ours.
        let code = unsafe { call(self.raw.as_ptr(), name.as_mut_ptr().cast()) };
        SkfError::check(function, code)
    }

    /// `SKF_CreateFile`.
    pub(crate) fn create_file(
        &self,
        name: &CText,
        size: u32,
        read: u32,
        write: u32,
    ) -> Result<(), SkfError> {
        let mut name = name.for_call();
        // SAFETY: a live handle and a NUL-terminated string of ours.
        let code = unsafe {
            (self.required().create_file)(
                self.raw.as_ptr(),
                name.as_mut_ptr().cast(),
                size,
                read,
                write,
            )
        };
        SkfError::check("SKF_CreateFile", code)
    }

    /// `SKF_GetFileInfo`.
    pub(crate) fn get_file_info(&self, name: &CText) -> Result<FileAttribute, SkfError> {
        let mut name = name.for_call();
        let mut info = FileAttribute::zeroed();
        // SAFETY: a live handle, a NUL-terminated string of ours and a
        // FILEATTRIBUTE of ours.
        let code = unsafe {
            (self.required().get_file_info)(self.raw.as_ptr(), name.as_mut_ptr().cast(), &mut info)
        };
        SkfError::check("SKF_GetFileInfo", code)?;
        Ok(info)
    }

    /// `SKF_ReadFile`: up to `out.len()` bytes at `offset`; the claimed
    /// length read.
    pub(crate) fn read_file(
        &self,
        name: &CText,
        offset: u32,
        out: &mut [u8],
    ) -> Result<usize, SkfError> {
        let mut name = name.for_call();
        let (ptr, mut len) = out_buf(Some(out));
        // SAFETY: a live handle, a NUL-terminated string of ours, and an
        // output of `len` bytes (the size asked is that same `len`).
        let code = unsafe {
            (self.required().read_file)(
                self.raw.as_ptr(),
                name.as_mut_ptr().cast(),
                offset,
                len,
                ptr,
                &mut len,
            )
        };
        SkfError::check("SKF_ReadFile", code)?;
        Ok(len as usize)
    }

    /// `SKF_WriteFile`.
    pub(crate) fn write_file(
        &self,
        name: &CText,
        offset: u32,
        data: &[u8],
    ) -> Result<(), SkfError> {
        let mut name = name.for_call();
        let mut data = data.to_vec();
        // SAFETY: a live handle, a NUL-terminated string and an input of
        // ours of the length passed.
        let code = unsafe {
            (self.required().write_file)(
                self.raw.as_ptr(),
                name.as_mut_ptr().cast(),
                offset,
                data.as_mut_ptr(),
                len_u32(data.len()),
            )
        };
        SkfError::check("SKF_WriteFile", code)
    }
}
