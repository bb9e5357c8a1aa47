//! The KMC as its CA meets it: real HTTP, real databases (both), GM/T 0014
//! DER signed with SM2, and Python's gmssl opening what it delivers.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod bad_input;
mod common;
mod delivery;
mod renewal;
