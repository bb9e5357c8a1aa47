//! The bindings against libsoftskf.so, our software USB key, loaded by path
//! as a vendor's library is. Outside checks: the `sm2` crate verifies the
//! signatures and decrypts what the key encrypts; the device folders are
//! compared byte for byte where a refusal must change nothing.
//!
//! `SOFTSKF_DIR` is process-wide: every test of this binary shares one
//! devices directory (`common::root`) and uses devices of its own name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod bad_input;
mod common;
mod events;
mod files;
mod keys;
mod loading;
mod pins;
mod removal;
