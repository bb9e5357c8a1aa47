//! skf: safe bindings to a vendor's SKF library, loaded by path.
//!
//! Chinese USB keys (UKey: Longmai, Feitian, Haitai, Watchdata…) are driven
//! through the SKF interface of GM/T 0016-2012 (GB/T 35291-2017): a C
//! shared library from the vendor exporting `SKF_*` functions. The holder's
//! desktop assistant loads the library the holder's key needs, by path,
//! and uses it through this crate: list keys, create the application a
//! blank key lacks, log in and manage PINs (找回密码 included), make an SM2
//! key pair inside the key, sign, write and read certificates, import a
//! KMC's encryption key pair, and keep small files (the seal image).
//!
//! # Why not `skf-rs`
//!
//! The `skf-rs` crate resolves all symbols of a stage at once with none
//! optional, so it fails on libraries lacking `SKF_Transmit`,
//! `SKF_SetLabel`, key agreement and the like (softskf included), and then
//! leaks the vendor's library handle; it sets `Vec` lengths from lengths
//! the vendor returns without bounds checks; it has neither
//! `SKF_DigestInit`/`SKF_Digest` nor `SKF_ECCPrvKeyDecrypt`; its handles
//! are not `Send` and not tied to the device's lifetime. Here:
//!
//! - [`Library::load`] requires the functions every SKF library has and
//!   names every one missing (`SkfError::Missing`); the others are optional
//!   and a call needing an absent one is `SkfError::NotSupported`.
//! - Output buffers are zeroed before the call, and every length the vendor
//!   returns is checked against the buffer's capacity (`SkfError::Vendor`
//!   otherwise); outputs of unknown size use the standard's size query (a
//!   null buffer) with a bound of 1 MiB.
//! - Handles are values with lifetimes: a [`Device`] borrows its
//!   [`Library`], an [`App`] its `Device`, a [`Container`] its `App`, and
//!   each is closed when dropped, so none is used after its parent closed;
//!   the `Library`, with everything opened from it, moves to a worker thread
//!   (see Threads).
//! - Names and PINs are checked (NUL, empty, the standard's lengths) before
//!   the library is called (`SkfError::InvalidInput`).
//!
//! # Threads
//!
//! Vendors rarely say whether their library is thread-safe, so calls from
//! one `Library` stay on one thread: `Library` is `Send` (load it on, or
//! move it to, a worker thread) but not `Sync`, and devices, applications
//! and containers borrow it (they are neither `Send` nor `Sync`). The one
//! call meant for another thread is the standard's: a [`Canceller`] ends a
//! blocking [`Library::wait_for_event`] from anywhere.
//!
//! # Layout
//!
//! `ffi` holds every `unsafe` line: the symbols, the handles and each C
//! call. `blobs` is the standard's packed structures, `names` the checks of
//! input and the size protocol; `library`, `device`, `app`, `files` and
//! `container` are the safe API, `ecc` its SM2 values, `z` the signing
//! digest in software, `error` and `sar` the error and its holder-facing
//! words.

mod app;
mod blobs;
mod container;
mod device;
mod ecc;
mod error;
mod ffi;
mod files;
mod library;
mod names;
pub mod sar;
pub mod z;

pub use app::{App, PinInfo, PinRole};
pub use container::{Container, ContainerKind};
pub use device::{DEFAULT_DEV_AUTH_KEY, Device, DeviceInfo, access};
pub use ecc::{EccCipher, EnvelopedKey, Sm2PublicKey, Sm2Signature};
pub use error::{LogCode, SkfError};
pub use files::FileInfo;
pub use library::{Canceller, DevState, DeviceEvent, Library};
