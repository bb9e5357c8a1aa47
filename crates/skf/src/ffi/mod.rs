//! Every call into the vendor's library, and nothing else: the only
//! modules of the crate that may use `unsafe`.
//!
//! What makes the calls sound is kept here rather than spread over the
//! crate:
//!
//! - The function pointers live in [`Lib`] next to the loaded library, and
//!   every handle borrows the `Lib` it came from, so no pointer and no handle
//!   outlives the code it points into.
//! - A handle is made only here, from a successful `Connect`/`Open`/`Create`
//!   answer, is not `Clone`, and is closed once, by its `Drop`. A handle
//!   opened from another borrows it (an application its device, a container
//!   its application), so the vendor never sees a handle used after the one
//!   it came from was closed.
//! - Every buffer handed over is Rust's own, initialised (zeroed), and its
//!   length is passed as its real capacity (never more). Lengths the vendor
//!   writes back are returned unchecked to the safe modules, which compare
//!   them with the capacity before slicing.
//! - Input strings are copied into NUL-terminated buffers of our own
//!   ([`CText`]), wiped when dropped (they may be PINs).
//!
//! The rest is the trust every binding places in a C library: that it
//! implements the standard's signatures and writes no further than the
//! lengths it is given.

#![expect(
    unsafe_code,
    reason = "the handles, their closing and the calls' shared helpers"
)]

mod app;
mod container;
mod device;
mod symbols;

use std::ffi::{OsStr, c_void};
use std::ptr::NonNull;
use std::sync::Arc;

use zeroize::Zeroizing;

pub(crate) use self::app::PinAnswer;
pub(crate) use self::symbols::{Optional, Required};
use crate::SkfError;

/// A loaded library and its functions.
pub(crate) struct Lib {
    /// Shared with [`Canceller`]s, which may outlive this value on another
    /// thread.
    library: Arc<libloading::Library>,
    pub(crate) required: Required,
    pub(crate) optional: Optional,
}

/// `SKF_CancelWaitForDevEvent` for another thread: it keeps the library
/// loaded by itself.
pub(crate) struct Canceller {
    _library: Arc<libloading::Library>,
    cancel: Option<unsafe extern "C" fn() -> u32>,
}

/// A connected device (`DEVHANDLE`); `SKF_DisConnectDev` on drop.
pub(crate) struct DevHandle<'l> {
    lib: &'l Lib,
    raw: NonNull<c_void>,
}

/// An open application (`HAPPLICATION`); `SKF_CloseApplication` on drop.
pub(crate) struct AppHandle<'d> {
    dev: &'d DevHandle<'d>,
    raw: NonNull<c_void>,
}

/// An open container (`HCONTAINER`); `SKF_CloseContainer` on drop.
pub(crate) struct ContainerHandle<'a> {
    app: &'a AppHandle<'a>,
    raw: NonNull<c_void>,
}

/// A session key or a hash (`HANDLE`); `SKF_CloseHandle` on drop.
pub(crate) struct SessionHandle<'d> {
    dev: &'d DevHandle<'d>,
    raw: NonNull<c_void>,
}

/// A NUL-terminated copy of a string argument, wiped when dropped.
pub(crate) struct CText(Zeroizing<Vec<u8>>);

impl Lib {
    /// Opens the library at `path` and finds its functions.
    pub(crate) fn load(path: &OsStr) -> Result<Lib, SkfError> {
        // SAFETY: opening a library runs its initialisers. The path is the
        // SKF library the holder's configuration names, trusted as every
        // vendor driver is (see the module's comment); nothing else about
        // loading is unsound.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|error| SkfError::Load(error.to_string()))?;
        let required = Required::load(&library)?;
        let optional = Optional::load(&library);
        Ok(Lib {
            library: Arc::new(library),
            required,
            optional,
        })
    }

    pub(crate) fn canceller(&self) -> Canceller {
        Canceller {
            _library: Arc::clone(&self.library),
            cancel: self.optional.cancel_wait_for_dev_event,
        }
    }
}

impl Canceller {
    pub(crate) fn cancel(&self) -> Result<(), SkfError> {
        const NAME: &str = "SKF_CancelWaitForDevEvent";
        let cancel = self.cancel.ok_or(SkfError::NotSupported(NAME))?;
        // SAFETY: no arguments; the library is kept loaded by `_library`.
        // The standard makes this call to end a wait in another thread.
        SkfError::check(NAME, unsafe { cancel() })
    }
}

impl CText {
    /// `InvalidInput` if `text` holds a NUL (C would read only up to it).
    pub(crate) fn new(what: &str, text: &[u8]) -> Result<CText, SkfError> {
        if text.contains(&0) {
            return Err(SkfError::InvalidInput(format!("{what}不能含有 NUL 字符")));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(text.len() + 1));
        bytes.extend_from_slice(text);
        bytes.push(0);
        Ok(CText(bytes))
    }

    /// A fresh writable copy for one call: the C prototypes take `LPSTR`, and
    /// a library that wrote into it must not write into our value.
    fn for_call(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_vec())
    }
}

/// A handle the vendor wrote after answering `SAR_OK`; a null one is a
/// vendor error, never used.
fn handle(function: &'static str, raw: *mut c_void) -> Result<NonNull<c_void>, SkfError> {
    NonNull::new(raw).ok_or_else(|| SkfError::Vendor(format!("{function} returned a null handle")))
}

/// A buffer's pointer and capacity as C takes them: null and 0 for a size
/// query. A capacity beyond `u32` is reported as `u32::MAX`, which is less
/// than the buffer holds, so the vendor can never be told of more room than
/// there is.
fn out_buf(buf: Option<&mut [u8]>) -> (*mut u8, u32) {
    match buf {
        Some(buf) => (buf.as_mut_ptr(), len_u32(buf.len())),
        None => (std::ptr::null_mut(), 0),
    }
}

/// An input length for C (inputs are bounded far below `u32::MAX` by the
/// safe modules; saturating keeps the vendor inside the buffer if not).
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Drop for DevHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle came from SKF_ConnectDev and is closed once,
        // here; whatever was opened from it borrowed it and is closed
        // already. The answer cannot be acted on in a drop.
        let _ = unsafe { (self.lib.required.disconnect_dev)(self.raw.as_ptr()) };
    }
}

impl Drop for AppHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: as for `DevHandle`, from SKF_OpenApplication or
        // SKF_CreateApplication.
        let _ = unsafe { (self.dev.lib.required.close_application)(self.raw.as_ptr()) };
    }
}

impl Drop for ContainerHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: as for `DevHandle`, from SKF_OpenContainer or
        // SKF_CreateContainer.
        let _ = unsafe { (self.app.dev.lib.required.close_container)(self.raw.as_ptr()) };
    }
}

impl Drop for SessionHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: as for `DevHandle`, from SKF_SetSymmKey or SKF_DigestInit.
        let _ = unsafe { (self.dev.lib.required.close_handle)(self.raw.as_ptr()) };
    }
}
