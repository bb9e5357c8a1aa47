//! The holder's portal: 证书变更, 新办/补办, 延期, 签章变更, 注销, 找回密码, the public
//! pages, and what bad input and every GET route must not change.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod get_routes;
mod new_and_reissue;
mod portal_bad_input;
mod portal_flow;
mod renewal;
mod revocation_request;
mod seal_change;
mod unlock_portal;
mod web_pages;
