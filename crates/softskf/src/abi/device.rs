//! Device functions (GM/T 0016 §7.1, §7.2.2–7.2.3, §7.6.2).

#![expect(unsafe_code, reason = "C entry points taking the caller's pointers")]

use std::ffi::{c_char, c_void};

use super::ffi::{self, Out, OutBuf};
use super::guard;
use super::types::DevInfo;
use crate::ops::{device, events};
use crate::{SkfError, limits};

/// `SKF_EnumDev`: the devices of `$SOFTSKF_DIR` (read now), as a list of
/// names. `bPresent` is ignored: every device the "driver" knows is present.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_EnumDev(_present: i32, name_list: *mut c_char, size: *mut u32) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer and its length.
        let out = unsafe { OutBuf::new(name_list.cast(), size)? };
        let names = device::enumerate();
        out.fill(&ffi::multi_string(names.iter().map(|name| name.as_bytes())))?;
        Ok(())
    })
}

/// `SKF_ConnectDev`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_ConnectDev(name: *const c_char, device: *mut *mut c_void) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output handle.
        let (name, out) = unsafe {
            (
                ffi::c_text(name, limits::DEVICE_TEXT_MAX, SkfError::NameLength)?,
                Out::new(device)?,
            )
        };
        let name = std::str::from_utf8(name).map_err(|_| SkfError::DeviceRemoved)?;
        out.set(device::connect(name)?.to_raw());
        Ok(())
    })
}

/// `SKF_DisConnectDev`: closes the handle and all opened from it.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_DisConnectDev(device: *mut c_void) -> u32 {
    guard(|| device::disconnect(ffi::handle(device)))
}

/// `SKF_GetDevState`: `DEV_PRESENT_STATE` (1) or `DEV_ABSENT_STATE` (0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GetDevState(name: *const c_char, state: *mut u32) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for a string and an output value.
        let (name, out) = unsafe {
            (
                ffi::c_text(name, limits::DEVICE_TEXT_MAX, SkfError::NameLength)?,
                Out::new(state)?,
            )
        };
        out.set(std::str::from_utf8(name).map_or(0, device::state));
        Ok(())
    })
}

/// `SKF_GetDevInfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GetDevInfo(device: *mut c_void, info: *mut DevInfo) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output DEVINFO.
        let out = unsafe { Out::new(info)? };
        out.set(DevInfo::new(&device::info(ffi::handle(device))?));
        Ok(())
    })
}

/// `SKF_WaitForDevEvent`: blocks until a device is plugged in (event 1) or
/// pulled out (event 2) and names it; ends with `SAR_NOT_EVENTERR` when
/// `SKF_CancelWaitForDevEvent` is called. `*pulDevNameLen` is the buffer's
/// size on input, the name's with its NUL on output.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_WaitForDevEvent(
    name: *mut c_char,
    name_len: *mut u32,
    event: *mut u32,
) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise for an output buffer, its length and
        // an output value.
        let (out_name, out_event) =
            unsafe { (OutBuf::new(name.cast(), name_len)?, Out::new(event)?) };
        if name.is_null() {
            return Err(SkfError::InvalidParam);
        }
        match events::wait(out_name.capacity())? {
            events::Waited::Event(change) => {
                let mut bytes = change.name.into_bytes();
                bytes.push(0);
                out_name.fill(&bytes)?;
                out_event.set(change.event);
                Ok(())
            }
            events::Waited::TooSmall { needed } => out_name.room_for(needed).map(|_| ()),
        }
    })
}

/// `SKF_CancelWaitForDevEvent`: ends the waits in progress.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_CancelWaitForDevEvent() -> u32 {
    guard(|| {
        events::cancel();
        Ok(())
    })
}

/// `SKF_LockDev`: nothing to lock for one process; checks the handle.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_LockDev(device: *mut c_void, _timeout: u32) -> u32 {
    guard(|| device::check(ffi::handle(device)))
}

/// `SKF_UnlockDev`: as `SKF_LockDev`.
#[unsafe(no_mangle)]
pub extern "C" fn SKF_UnlockDev(device: *mut c_void) -> u32 {
    guard(|| device::check(ffi::handle(device)))
}

/// `SKF_GenRandom`: `ulRandomLen` random bytes (1 to 4096). One of at most
/// 16 bytes is also the challenge of the next `SKF_DevAuth`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_GenRandom(device: *mut c_void, random: *mut u8, len: u32) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise: `random` holds `len` writable bytes.
        let out = unsafe { ffi::out_bytes(random, len)? };
        out.write(&device::random(ffi::handle(device), out.len())?)
    })
}

/// `SKF_DevAuth`: `pbAuthData` is the 16-byte `SM4-ECB(key, challenge)`,
/// the challenge being the last `SKF_GenRandom` of at most 16 bytes on this
/// handle, zero-padded, and the key [`crate::DEV_AUTH_KEY`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SKF_DevAuth(device: *mut c_void, auth_data: *const u8, len: u32) -> u32 {
    guard(|| {
        // SAFETY: the caller's promise: `auth_data` holds `len` bytes.
        let value = unsafe { ffi::in_bytes(auth_data, len)? };
        device::authenticate(ffi::handle(device), value)
    })
}
