//! The CA: issuance from the CLI and the API, certificates, CRLs and OCSP that
//! OpenSSL accepts, keys in an HSM, the audit log, several instances on one
//! database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

mod audit_log;
mod cluster;
mod hsm;
mod issuance;
mod issue_api;
mod kmc_hsm;
mod pairs;
mod pki_openssl;
