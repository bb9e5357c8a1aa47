//! The handles given to C: numbers in one process-wide table, never pointers.
//!
//! A `DEVHANDLE`, `HAPPLICATION`, `HCONTAINER` or hash/key `HANDLE` is a key
//! into [`Table`], converted to a pointer-sized value only at the C boundary.
//! A stale, forged or mistyped handle is therefore a failed lookup
//! (`SAR_INVALIDHANDLEERR`), never a dangling pointer. Numbers are never
//! reused, so a closed handle cannot come back to life as another object.
//!
//! Every object records the handle it was opened from: closing a device
//! closes its applications, their containers, and its hash and key handles.
//! The table holds sessions only (who is logged in, a hash in progress); the
//! device's contents are read from the store at each call.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sm3::Sm3;
use zeroize::Zeroizing;

use crate::crypto::sm4;
use crate::store::{DeviceDir, Name};

/// The first number given out: small integers passed by mistake are not
/// handles.
const FIRST: usize = 0x0001_0000;

static TABLE: Mutex<Table> = Mutex::new(Table {
    next: FIRST,
    entries: BTreeMap::new(),
});

/// A handle as C holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Handle(usize);

/// The open objects of the process.
#[derive(Debug)]
pub struct Table {
    next: usize,
    entries: BTreeMap<Handle, Entry>,
}

#[derive(Debug)]
struct Entry {
    parent: Option<Handle>,
    object: Object,
}

/// What a handle stands for.
#[derive(Debug)]
pub enum Object {
    Device(DeviceSession),
    App(AppSession),
    Container(ContainerSession),
    Hash(HashSession),
    Key(KeySession),
}

/// A connected device (`SKF_ConnectDev`).
#[derive(Debug)]
pub struct DeviceSession {
    pub dir: DeviceDir,
    /// The device's instance when connected: another device later made
    /// under the same name is not this one.
    pub instance: [u8; 16],
    /// The last `SKF_GenRandom` of at most 16 bytes, zero-padded: the
    /// challenge `SKF_DevAuth` answers, usable once.
    pub challenge: Option<Zeroizing<[u8; 16]>>,
    /// `SKF_DevAuth` succeeded on this handle.
    pub authenticated: bool,
}

/// An open application (`SKF_OpenApplication`), with its login state.
#[derive(Debug)]
pub struct AppSession {
    pub name: Name,
    pub admin: bool,
    pub user: bool,
}

/// An open container.
#[derive(Debug)]
pub struct ContainerSession {
    pub name: Name,
}

/// A hash in progress (`SKF_DigestInit`); `None` once finished.
#[derive(Debug)]
pub struct HashSession {
    pub sm3: Option<Sm3>,
}

/// An SM4 session key (`SKF_SetSymmKey`) and the operation set up on it.
#[derive(Debug)]
pub struct KeySession {
    pub key: Zeroizing<sm4::Key>,
    pub cbc: bool,
    pub operation: Option<Operation>,
}

/// `SKF_EncryptInit` or `SKF_DecryptInit`'s parameters, used by the next
/// `SKF_Encrypt` or `SKF_Decrypt`.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub encrypt: bool,
    pub mode: sm4::Mode,
}

impl Handle {
    /// The handle C passed. Any value is accepted here; the table decides.
    pub fn from_raw(raw: *mut c_void) -> Self {
        Handle(raw.addr())
    }

    /// The value given to C: the number, as a pointer that points nowhere.
    pub fn to_raw(self) -> *mut c_void {
        std::ptr::without_provenance_mut(self.0)
    }
}

/// The table, for the length of one operation. A panic while it was held
/// (caught at the C boundary) does not disable the key: every change to the
/// table is a single insert or remove, never left half done.
pub fn lock() -> MutexGuard<'static, Table> {
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Table {
    /// Opens `object` under `parent`.
    pub fn insert(&mut self, parent: Option<Handle>, object: Object) -> Handle {
        let handle = Handle(self.next);
        self.next += 1;
        self.entries.insert(handle, Entry { parent, object });
        handle
    }

    /// Closes `handle` and everything opened under it; `false` if it was
    /// not open.
    pub fn remove(&mut self, handle: Handle) -> bool {
        if self.entries.remove(&handle).is_none() {
            return false;
        }
        let children: Vec<Handle> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.parent == Some(handle))
            .map(|(child, _)| *child)
            .collect();
        for child in children {
            self.remove(child);
        }
        true
    }

    pub fn get(&self, handle: Handle) -> Option<&Object> {
        self.entries.get(&handle).map(|entry| &entry.object)
    }

    pub fn get_mut(&mut self, handle: Handle) -> Option<&mut Object> {
        self.entries.get_mut(&handle).map(|entry| &mut entry.object)
    }

    /// Every open handle.
    pub fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.entries.keys().copied()
    }

    /// The handle `handle` was opened from.
    pub fn parent(&self, handle: Handle) -> Option<Handle> {
        self.entries.get(&handle)?.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container() -> Object {
        Object::Container(ContainerSession {
            name: Name::new(b"c", 64).unwrap(),
        })
    }

    #[test]
    fn closing_a_parent_closes_its_children_and_numbers_are_not_reused() {
        let mut table = Table {
            next: FIRST,
            entries: BTreeMap::new(),
        };
        let parent = table.insert(None, container());
        let child = table.insert(Some(parent), container());
        let grandchild = table.insert(Some(child), container());
        let other = table.insert(None, container());
        assert!(table.remove(parent));
        assert!(table.get(child).is_none());
        assert!(table.get(grandchild).is_none());
        assert!(table.get(other).is_some());
        assert!(!table.remove(parent));
        assert!(table.insert(None, container()) > other);
    }

    #[test]
    fn raw_values_round_trip() {
        let handle = Handle(FIRST + 7);
        assert_eq!(Handle::from_raw(handle.to_raw()), handle);
    }
}
