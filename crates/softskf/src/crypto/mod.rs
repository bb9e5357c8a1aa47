//! The algorithms of the key: SM2 (GB/T 32918), SM3 and SM4, on plain Rust
//! values. Nothing here knows about handles, files or C.

pub mod sm2;
pub mod sm4;

use crate::SkfError;

pub use self::sm2::{Ciphertext, PublicPoint, Signature};

/// The SM3 digest length, and the length of every SM2 coordinate and scalar.
pub const SM3_LEN: usize = 32;

/// Fills `buf` from the operating system's random source.
pub fn random(buf: &mut [u8]) -> Result<(), SkfError> {
    getrandom::fill(buf).map_err(|_| SkfError::Random)
}
