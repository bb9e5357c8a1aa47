//! The CA: issuance from the CLI and the API, certificates, CRLs and OCSP that
//! OpenSSL accepts, keys in an HSM, the audit log, several instances on one
//! database.

mod audit_log;
mod cluster;
mod hsm;
mod issuance;
mod issue_api;
mod pki_openssl;
