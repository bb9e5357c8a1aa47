//! libsoftskf.so through its C interface: loaded by path with libloading
//! from Rust (as the assistant will), and compiled against from C with the
//! committed header. Outside implementations check what it produces: the
//! `sm2` crate and Python's `gmssl` for signatures, the C compiler for the
//! structures' layout.
//!
//! All tests share one devices directory (`SOFTSKF_DIR` is process-wide);
//! each uses devices of its own name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]
#![expect(unsafe_code, reason = "calls a C library through function pointers")]

mod abi;
mod bad_input;
mod devices;
mod files;
mod pins;
mod skf;
mod sm2;
mod util;
