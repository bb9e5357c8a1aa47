//! Plugging and unplugging (`SKF_WaitForDevEvent`, `SKF_CancelWaitForDevEvent`).
//!
//! The process remembers which devices it has seen: from its first
//! `SKF_EnumDev` or `SKF_WaitForDevEvent` on, each wait reports one change
//! against that memory and then remembers it. So no change is lost between
//! two waits, and several changes are reported one per call.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::store::Root;
use crate::{SkfError, sgd};

/// How often a waiting call looks at the directory.
const POLL: Duration = Duration::from_millis(200);

/// The devices last reported, in the directory they were seen in.
static SEEN: Mutex<Option<Seen>> = Mutex::new(None);

/// Bumped by each cancel; a wait ends when it changes.
static CANCELS: AtomicU64 = AtomicU64::new(0);

struct Seen {
    root: Option<PathBuf>,
    devices: BTreeSet<String>,
}

/// A device plugged in or pulled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEvent {
    pub name: String,
    /// `sgd::EVENT_ARRIVED` or `sgd::EVENT_REMOVED`.
    pub event: u32,
}

/// How a wait ended, besides an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    Event(DeviceEvent),
    /// The name needs `needed` bytes (with its NUL) and the caller gave
    /// fewer; the event is kept for the next call.
    TooSmall {
        needed: usize,
    },
}

/// Starts the memory of devices, if this is the first look (or the
/// directory changed).
pub fn observe(root: Option<&Root>, devices: &[String]) {
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let path = root.map(|root| root.path().to_owned());
    if seen.as_ref().is_none_or(|seen| seen.root != path) {
        *seen = Some(Seen {
            root: path,
            devices: devices.iter().cloned().collect(),
        });
    }
}

/// Blocks until a device arrives or leaves, or until a cancel.
/// `capacity` is the caller's buffer for the name, NUL included.
pub fn wait(capacity: usize) -> Result<Waited, SkfError> {
    let started = CANCELS.load(Ordering::SeqCst);
    loop {
        if CANCELS.load(Ordering::SeqCst) != started {
            return Err(SkfError::NoEvent);
        }
        let root = Root::from_env();
        let present: Vec<String> = root.as_ref().map(Root::devices).unwrap_or_default();
        observe(root.as_ref(), &present);
        if let Some(waited) = next_change(&present, capacity) {
            return Ok(waited);
        }
        std::thread::sleep(POLL);
    }
}

/// `SKF_CancelWaitForDevEvent`: ends the waits in progress.
pub fn cancel() {
    CANCELS.fetch_add(1, Ordering::SeqCst);
}

/// The first difference between `present` and the memory, remembered unless
/// the caller cannot take it.
fn next_change(present: &[String], capacity: usize) -> Option<Waited> {
    let mut guard = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let seen = guard.as_mut()?;
    let arrived = present.iter().find(|name| !seen.devices.contains(*name));
    let change = match arrived {
        Some(name) => DeviceEvent {
            name: name.clone(),
            event: sgd::EVENT_ARRIVED,
        },
        None => DeviceEvent {
            name: seen
                .devices
                .iter()
                .find(|name| !present.contains(*name))?
                .clone(),
            event: sgd::EVENT_REMOVED,
        },
    };
    let needed = change.name.len() + 1;
    if needed > capacity {
        return Some(Waited::TooSmall { needed });
    }
    if change.event == sgd::EVENT_ARRIVED {
        seen.devices.insert(change.name.clone());
    } else {
        seen.devices.remove(&change.name);
    }
    Some(Waited::Event(change))
}
