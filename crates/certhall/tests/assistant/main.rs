//! The certificate assistant: its JSON API and its binary against a SoftHSM2
//! token and a software SKF key.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod assistant_api;
mod assistant_token;
mod earlier_keys;
mod revoke_api;
mod skf_sm2;
