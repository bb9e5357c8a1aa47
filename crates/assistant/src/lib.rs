//! 数字证书助手 (certhall-assistant): the only part of certhall that touches the
//! holder's USB key. One library, two faces: the command line (`cli`) and, on
//! the desktop, a window over the same calls.
//!
//! - `token`: the key over PKCS#11 or SKF (GM/T 0016) — certificates,
//!   signing, key generation, writing and removing objects; `settings`: the
//!   drivers the holder's settings file names.
//! - `csr`: PKCS#10 requests signed inside the token.
//! - `client`: the server's API (办事大厅, hand-off, status, issue, complete).
//! - `change`: the 证书变更 flow, resumable after a crash at any step.
//! - `pickup`, `seal`, `revoke`: 在线新办/补办's 写入码, 签章变更's seal image,
//!   注销's reason and SMS code; `pair`: 双证书, the KMC's encryption key
//!   pair and certificate imported next to the signing key.
//! - `cli`: the command line; `gui`: the window (eframe/egui) over the same
//!   calls; `browser`: the holder's browser, which both open.
//! - `bridge`, `install`, `link`: how the portal finds and opens the
//!   assistant (the local bridge; the desktop entries; the `certhall://`
//!   links, read strictly).
//! - `error`: what can go wrong, in words for the holder.

pub mod bridge;
#[cfg(feature = "gui")]
mod browser;
pub mod change;
#[cfg(feature = "gui")]
pub mod cli;
pub mod client;
pub mod csr;
pub mod earlier;
pub mod error;
#[cfg(feature = "gui")]
pub mod gui;
pub mod install;
pub mod link;
pub mod pair;
pub mod pickup;
pub mod revoke;
pub mod seal;
pub mod settings;
pub mod token;

pub use error::Error;
