//! Application and PIN functions (GM/T 0016 §7.2.4–7.2.8, §7.3).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::{c_char, c_void};

use super::ffi::{self, Out, OutBuf};
use super::guard;
use crate::ops::app::{self, NewApp};
use crate::ops::login::{self, PinAnswer};
use crate::pin::{PIN_LEN, Pin, Role};
use crate::store::Name;
use crate::{SkfError, limits};

/// `SKF_CreateApplication`: needs `SKF_DevAuth` on `hDev` first. Retry
/// counts are 1 to 15; PINs 6 to 32 bytes; the new application is opened
/// on `*phApplication` with no PIN verified.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_CreateApplication(
    device: *mut c_void,
    app_name: *const c_char,
    admin_pin: *const c_char,
    admin_retries: u32,
    user_pin: *const c_char,
    user_retries: u32,
    create_file_rights: u32,
    application: *mut *mut c_void,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for strings and an output handle.
        let (name, admin_pin, user_pin, out) = unsafe {
            (
                app_name_arg(app_name)?,
                pin_arg(admin_pin)?,
                pin_arg(user_pin)?,
                Out::new(application)?,
            )
        };
        let new = NewApp {
            name,
            admin_pin,
            admin_retries,
            user_pin,
            user_retries,
            create_file_rights,
        };
        out.set(app::create(ffi::handle(device), new)?.to_raw());
        Ok(())
    })
}

/// `SKF_EnumApplication`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_EnumApplication(
    device: *mut c_void,
    names: *mut c_char,
    size: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(names.cast(), size)? };
        let apps = app::list(ffi::handle(device))?;
        out.fill(&ffi::multi_string(apps.iter().map(Name::as_bytes)))?;
        Ok(())
    })
}

/// `SKF_DeleteApplication`: needs `SKF_DevAuth` on `hDev` first.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DeleteApplication(
    device: *mut c_void,
    app_name: *const c_char,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string.
        let name = unsafe { app_name_arg(app_name)? };
        app::delete(ffi::handle(device), &name)
    })
}

/// `SKF_OpenApplication`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_OpenApplication(
    device: *mut c_void,
    app_name: *const c_char,
    application: *mut *mut c_void,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output handle.
        let (name, out) = unsafe { (app_name_arg(app_name)?, Out::new(application)?) };
        out.set(app::open(ffi::handle(device), name)?.to_raw());
        Ok(())
    })
}

/// `SKF_CloseApplication`: also forgets the PINs verified on the handle.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_CloseApplication(application: *mut c_void) -> u32 {
    guard(|| app::close(ffi::handle(application)))
}

/// `SKF_VerifyPIN`: `ulPINType` 0 admin, 1 user. A wrong PIN answers
/// `SAR_PIN_INCORRECT`, with the tries left in `*pulRetryCount`; with none
/// left, `SAR_PIN_LOCKED` (even for the right PIN).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_VerifyPIN(
    application: *mut c_void,
    pin_type: u32,
    pin: *const c_char,
    retry_count: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output value.
        let (pin, out) = unsafe { (pin_arg(pin)?, Out::new(retry_count)?) };
        let role = Role::from_abi(pin_type)?;
        answer(login::verify(ffi::handle(application), role, &pin)?, &out)
    })
}

/// `SKF_ChangePIN`: the old PIN is checked and counted as by
/// `SKF_VerifyPIN`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ChangePIN(
    application: *mut c_void,
    pin_type: u32,
    old_pin: *const c_char,
    new_pin: *const c_char,
    retry_count: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for strings and an output value.
        let (old, new, out) =
            unsafe { (pin_arg(old_pin)?, pin_arg(new_pin)?, Out::new(retry_count)?) };
        let role = Role::from_abi(pin_type)?;
        answer(
            login::change(ffi::handle(application), role, &old, &new)?,
            &out,
        )
    })
}

/// `SKF_UnblockPIN`: with the right administrator PIN, sets a new user
/// PIN with all its tries; `*pulRetryCount` is the administrator PIN's tries
/// left.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_UnblockPIN(
    application: *mut c_void,
    admin_pin: *const c_char,
    new_user_pin: *const c_char,
    retry_count: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for strings and an output value.
        let (admin, new, out) = unsafe {
            (
                pin_arg(admin_pin)?,
                pin_arg(new_user_pin)?,
                Out::new(retry_count)?,
            )
        };
        answer(
            login::unblock(ffi::handle(application), &admin, &new)?,
            &out,
        )
    })
}

/// `SKF_GetPINInfo`: `*pbDefaultPin` is TRUE while the PIN is the one the
/// application was created with.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GetPINInfo(
    application: *mut c_void,
    pin_type: u32,
    max_retry_count: *mut u32,
    remain_retry_count: *mut u32,
    default_pin: *mut i32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for three output values.
        let (max, remaining, default) = unsafe {
            (
                Out::new(max_retry_count)?,
                Out::new(remain_retry_count)?,
                Out::new(default_pin)?,
            )
        };
        let info = login::info(ffi::handle(application), Role::from_abi(pin_type)?)?;
        max.set(info.max_retries);
        remaining.set(info.remaining);
        default.set(i32::from(info.is_default));
        Ok(())
    })
}

/// `SKF_ClearSecureState`: logs the handle out of both PINs.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_ClearSecureState(application: *mut c_void) -> u32 {
    guard(|| login::clear(ffi::handle(application)))
}

/// Writes the tries left, then gives the status.
fn answer(answer: PinAnswer, retry_count: &Out<'_, u32>) -> Result<(), SkfError> {
    retry_count.set(answer.remaining);
    answer.status
}

/// An application name argument.
///
/// # Safety
///
/// As [`ffi::c_text`].
unsafe fn app_name_arg(name: *const c_char) -> Result<Name, SkfError> {
    // SAFETY: forwarded.
    let bytes = unsafe { ffi::c_text(name, limits::NAME_MAX, SkfError::NameLength)? };
    Name::new(bytes, limits::NAME_MAX)
}

/// A PIN argument: `SAR_PIN_LEN_RANGE` if too short or too long.
///
/// # Safety
///
/// As [`ffi::c_text`].
unsafe fn pin_arg(pin: *const c_char) -> Result<Pin, SkfError> {
    // SAFETY: forwarded.
    let bytes = unsafe { ffi::c_text(pin, *PIN_LEN.end(), SkfError::PinLength)? };
    Pin::new(bytes)
}
