//! certhall's certificate authority: the PKI of the `pki` crate joined to the
//! store. The `authority` module is the only code that signs, and it records
//! before it signs. The CA never sees browser input other than the bytes of a
//! CSR or an OCSP request.
//!
//! The pure parts are re-exported (`ca::csr`, `ca::ocsp`, …) so callers of
//! the CA need one dependency.

pub mod authority;
mod error;
pub use pki::keywrap;

pub use authority::{Authority, CaSettings, KeyStore};
pub use error::CaError;
pub use pki::{
    KeyAlgorithm, PkiError, asn1time, cert, crl, csr, derw, ocsp, oids, profile, signer, tlv,
    verify,
};
