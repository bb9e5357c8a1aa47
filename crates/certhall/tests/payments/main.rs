//! Paying: the sandbox and paysim gateways, refused payment inputs, the invoice
//! mailed once, and a payment that outlives a crash.
//!
//! The crash tests kill `certhall serve` children started with
//! `CERTHALL_FAULT` in their own environment, never this process's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod mail_once;
mod payments;
mod payments_bad_input;
mod paysim_cli;
mod sandbox_restart;
