//! The C interface: `SKF_*` functions with the standard's names and
//! signatures (prototypes in `include/skf.h`).
//!
//! This layer is thin on purpose. Each function checks its pointers (null is
//! `SAR_INVALIDPARAMERR`, refused before anything changes), reads its
//! arguments into typed values ([`ffi`], [`types`]), calls one function of
//! `ops`, and writes the answer back. Each runs inside [`guard`], so a panic
//! becomes `SAR_FAIL` instead of unwinding into C.
//!
//! # The caller's promises
//!
//! What C cannot tell Rust, the caller promises, as with any C library:
//! a non-null pointer points to what its parameter names — a NUL-terminated
//! string, a blob of the standard's layout (an `ECCCIPHERBLOB` followed by
//! its `CipherLen` bytes), `*pulLen` writable bytes for an output buffer, an
//! output `ECCCIPHERBLOB` with room for as many cipher bytes as the input's
//! length — and stays valid for the call. Lengths are bounded before use
//! (`crate::limits`), and handles are numbers looked up in a table, so a
//! wrong handle is an error, never memory access.
//!
//! Output buffers follow the standard's size protocol: with a null buffer,
//! the needed size is written to the length and `SAR_OK` returned; with a
//! buffer too small, the needed size is written and `SAR_BUFFER_TOO_SMALL`
//! returned; otherwise the data and its size are written.

mod app;
mod container;
mod device;
mod digest;
mod ecc;
mod ffi;
mod file;
mod types;

use std::panic::{self, AssertUnwindSafe};

use crate::SkfError;
use crate::error::SAR_OK;

/// Runs one call: its result as a `SAR_*` code, a panic as `SAR_FAIL`.
///
/// Unwind safety: the only state shared between calls is the handle table,
/// whose changes are single inserts and removes, and the device files,
/// written whole by rename; a panic midway leaves neither half changed.
fn guard(call: impl FnOnce() -> Result<(), SkfError>) -> u32 {
    match panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => SAR_OK,
        Ok(Err(error)) => error.code(),
        Err(_) => SkfError::Fail.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_sar_fail() {
        assert_eq!(guard(|| panic!("a bug")), SkfError::Fail.code());
        assert_eq!(guard(|| Err(SkfError::NoRoom)), 0x0A00_0030);
        assert_eq!(guard(|| Ok(())), SAR_OK);
    }
}
