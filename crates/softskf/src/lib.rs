//! softskf: a software USB key behind the SKF interface, for tests.
//!
//! Chinese CAs deliver certificates into USB keys (UKey) that vendors drive
//! through the SKF interface of GM/T 0016-2012 (republished as
//! GB/T 35291-2017): a C shared library exporting `SKF_*` functions. No open
//! software SKF key exists — the `skf-rs` bindings ship only an ABI stub — so
//! the holder's desktop assistant could not be tested against the interface
//! it must speak. This crate is that key, as SoftHSM2 is for PKCS#11: built as
//! `libsoftskf.so`, loaded by path, with its devices kept in a directory.
//!
//! # What it emulates
//!
//! - Devices: every subfolder of `$SOFTSKF_DIR` holding a `device.json` is a
//!   plugged-in key (the variable is read again at each `SKF_EnumDev` and
//!   `SKF_ConnectDev`); creating the folder plugs a key in, removing it pulls
//!   the key out, and the handles of a pulled key answer `SAR_DEVICE_REMOVED`.
//!   `SKF_WaitForDevEvent` polls the directory.
//! - Applications with an administrator and a user PIN, stored as salted SM3
//!   hashes, whose retry counters are kept on disk and really lock;
//!   containers holding an SM2 signing key pair made inside the key, an SM2
//!   encryption key pair imported from a KMC envelope (`ENVELOPEDKEYBLOB`), and
//!   a certificate for each; files with read and write rights.
//! - SM2 signatures over a digest the caller computed with `SKF_Digest*`
//!   (including the Z value of GM/T 0009), SM2 encryption to an outside key,
//!   SM2 decryption with the container's encryption key, SM4 ECB/CBC with a
//!   session key given in clear.
//! - Device authentication (`SKF_DevAuth`), which creating and deleting an
//!   application need, as the standard says: a blank key from
//!   `softskf-util create` behaves like a new key from a vendor.
//! - Private keys never leave: no call exports one.
//!
//! The exact list of exported functions, the structures and the codes are in
//! `include/skf.h`.
//!
//! # What it does not emulate
//!
//! - It is a test device, not a secure one: keys and PIN hashes are plain
//!   files readable by the OS user that owns the directory.
//! - No secure messaging, no APDUs (`SKF_Transmit`), no RSA, no SM1/SSF33, no
//!   key agreement, no MAC, no session keys wrapped by SM2
//!   (`SKF_ECCExportSessionKey`, `SKF_ImportSessionKey`), no streaming
//!   (`*Update`/`*Final`) symmetric encryption, no `SKF_SetLabel`. Those
//!   functions are not exported at all, so a caller finds out at load time
//!   rather than from a stub that pretends to work.
//! - Device authentication uses one fixed key for every device
//!   ([`DEV_AUTH_KEY`], SM4-ECB), the value vendors ship by default; it
//!   cannot be changed (`SKF_ChangeDevAuthKey` is absent).
//! - One process at a time per device: each operation rewrites an
//!   application's file atomically, so a crash never leaves half a file, but
//!   two processes writing the same application may lose one's update.
//!
//! # Layout
//!
//! `abi` is the thin, unsafe C layer: it checks pointers, turns C arguments
//! into typed values and calls `ops`, the safe semantics of each function.
//! `ops` works on `handles` (opaque handle numbers given to C), the
//! [`store`] (the device directory), [`pin`] and [`crypto`]. `softskf-util`
//! uses the store and PIN code directly to make devices.

pub mod crypto;
pub mod error;
pub mod limits;
pub mod pin;
pub mod sgd;
pub mod store;

mod abi;
mod handles;
mod ops;
mod serde_hex;

pub use error::SkfError;

/// The device authentication key of every softskf device (SM4, 16 bytes).
///
/// `SKF_DevAuth` expects `SM4-ECB(DEV_AUTH_KEY, challenge)`, the challenge
/// being the last random of at most 16 bytes asked with `SKF_GenRandom` on the
/// same handle, zero-padded to 16 bytes. It is the common vendor default.
pub const DEV_AUTH_KEY: [u8; 16] = *b"1234567812345678";
