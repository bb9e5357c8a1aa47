//! The back office (/admin): staff sign-in, review, four eyes, revocation,
//! finance, products and the audit page.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod desk;
mod recovery;
