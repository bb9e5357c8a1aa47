//! A vendor's SKF library loaded by path, the devices it sees, and the
//! device events it reports.

use std::cell::Cell;
use std::marker::PhantomData;
use std::path::Path;

use crate::SkfError;
use crate::device::Device;
use crate::ffi::{self, Lib};
use crate::names::{self, parse_list};
use crate::sar::SAR_NOT_EVENTERR;

/// A loaded SKF library.
///
/// `Send`, not `Sync`: it may be moved to a worker thread, and everything
/// opened from it borrows it there, so a library that is not thread-safe
/// (most vendors say nothing) is called from one thread at a time. The one
/// exception is the standard's own: [`Canceller`] ends a
/// [`wait_for_event`](Library::wait_for_event) from another thread.
pub struct Library {
    lib: Lib,
    _not_sync: PhantomData<Cell<()>>,
}

/// Ends a [`Library::wait_for_event`] in progress, from any thread.
pub struct Canceller(ffi::Canceller);

/// A device plugged in (`inserted`) or pulled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEvent {
    pub name: String,
    pub inserted: bool,
}

/// `SKF_GetDevState`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevState {
    Absent,
    Present,
    Unknown,
}

/// The longest device name taken from an event (names are a few bytes).
const EVENT_NAME_MAX: usize = 4096;

impl Library {
    /// Opens the SKF library at `path`: `Load` if it cannot be opened,
    /// `Missing` naming every required function it lacks.
    ///
    /// Loading runs the library's code: `path` must be the vendor library
    /// the holder's configuration names (as for any driver).
    pub fn load(path: impl AsRef<Path>) -> Result<Library, SkfError> {
        Ok(Library {
            lib: Lib::load(path.as_ref().as_os_str())?,
            _not_sync: PhantomData,
        })
    }

    /// The names of the devices present (`SKF_EnumDev(TRUE)`).
    pub fn devices(&self) -> Result<Vec<String>, SkfError> {
        let list = names::fetch("SKF_EnumDev", |buf| self.lib.enum_dev(buf))?;
        Ok(parse_list(&list))
    }

    /// Whether the device `name` is present.
    pub fn device_state(&self, name: &str) -> Result<DevState, SkfError> {
        Ok(match self.lib.get_dev_state(&names::device_name(name)?)? {
            0 => DevState::Absent,
            1 => DevState::Present,
            _ => DevState::Unknown,
        })
    }

    /// Connects to the device `name`; it is disconnected when dropped.
    pub fn connect(&self, name: &str) -> Result<Device<'_>, SkfError> {
        let raw = self.lib.connect_dev(&names::device_name(name)?)?;
        Ok(Device::new(self, raw, name))
    }

    /// Blocks until a device is plugged in or pulled out; `None` once
    /// [`Canceller::cancel`] ended the wait (`SAR_NOT_EVENTERR`).
    /// `NotSupported` if the library has no `SKF_WaitForDevEvent`.
    pub fn wait_for_event(&self) -> Result<Option<DeviceEvent>, SkfError> {
        let mut capacity = 256;
        loop {
            let mut buf = vec![0u8; capacity];
            let (len, event) = match self.lib.wait_for_dev_event(&mut buf) {
                Err(SkfError::Sar {
                    code: SAR_NOT_EVENTERR,
                    ..
                }) => return Ok(None),
                // The name did not fit: the vendor keeps the event and says
                // how much room it needs (with the bound of `names`).
                Err(SkfError::Sar {
                    code: crate::sar::SAR_BUFFER_TOO_SMALL,
                    ..
                }) if capacity < EVENT_NAME_MAX => {
                    capacity = EVENT_NAME_MAX;
                    continue;
                }
                other => other?,
            };
            let len = names::checked_len("SKF_WaitForDevEvent", len, buf.len())?;
            let name = parse_list(&buf[..len])
                .into_iter()
                .next()
                .unwrap_or_default();
            let inserted = match event {
                1 => true,
                2 => false,
                other => {
                    return Err(SkfError::Vendor(format!(
                        "SKF_WaitForDevEvent reported event {other}"
                    )));
                }
            };
            return Ok(Some(DeviceEvent { name, inserted }));
        }
    }

    /// Ends a wait in progress (`SKF_CancelWaitForDevEvent`).
    pub fn cancel_wait(&self) -> Result<(), SkfError> {
        self.lib.canceller().cancel()
    }

    /// A [`Canceller`] to hand to another thread.
    pub fn canceller(&self) -> Canceller {
        Canceller(self.lib.canceller())
    }
}

impl Canceller {
    /// `SKF_CancelWaitForDevEvent`; `NotSupported` if the library lacks it.
    pub fn cancel(&self) -> Result<(), SkfError> {
        self.0.cancel()
    }
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Library")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>() {}
    fn sync<T: Sync>() {}

    #[test]
    fn a_library_moves_to_a_worker_thread_and_a_canceller_goes_anywhere() {
        send::<Library>();
        send::<Canceller>();
        sync::<Canceller>();
    }
}
