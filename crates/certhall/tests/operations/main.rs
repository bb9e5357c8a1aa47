//! Running certhall: `certhall serve` and its configuration, bounded growth,
//! a full disk, duplicates at once, and bad input to the CLI and HTTP.
//!
//! The tests run as threads of one process, so nothing here is process-wide:
//! `certhall serve` runs as a child with its own working directory and
//! environment, and the full disk is a tmpfs mounted on that test's own data
//! directory. The timing test of connection limits is a binary of its own
//! (`tests/connections.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod bad_input;
mod bounded_growth;
mod duplicates_at_once;
mod full_disk;
mod serve_cli;
