//! The end-to-end suite's harness: the operation manual (`../shared/seed/`)
//! walked as a holder walks it, in headless Chromium, against the real
//! `certhall` binary, with the real certificate assistant on a SoftHSM2 token.
//!
//! - [`platform`]: `certhall serve` as an operator starts it (SQLite or
//!   PostgreSQL), plus its command line and the SMS outbox.
//! - [`chrome`]: Debian's chromium through chromium-driver (WebDriver).
//! - [`album`]: a screenshot per figure of the manual and an HTML index.
//! - [`usb`]: the holder's USB key (a SoftHSM2 token) and the assistant's CLI
//!   and window (under Xvfb).
//! - [`desk`]: the window driven as a holder drives it (mouse on the words of
//!   a button, keyboard for PINs and codes), shot per state.
//! - [`portal`]: signing in and paying, as every business does.
//! - [`backoffice`]: a reviewer set up and approving in the back office.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support only: a failure here is the test's"
)]

pub mod album;
pub mod backoffice;
pub mod bins;
pub mod chrome;
pub mod desk;
pub mod platform;
pub mod portal;
pub mod usb;

/// How long a page may take to show what a step expects.
pub const PAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);
