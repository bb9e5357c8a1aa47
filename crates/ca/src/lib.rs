//! certhall's certificate authority.
//!
//! Pure parts (no I/O): algorithms and signers, CSR checks, certificate, CRL and
//! OCSP encoding, profiles. The `authority` module joins them to the store: it is
//! the only code that signs, and it records before it signs. The CA never sees
//! browser input other than the bytes of a CSR or an OCSP request.

mod algorithm;
pub mod asn1time;
pub mod authority;
pub mod cert;
pub mod crl;
pub mod csr;
pub mod derw;
mod error;
pub mod keywrap;
pub mod ocsp;
pub mod oids;
pub mod profile;
pub mod signer;
pub mod tlv;
pub mod verify;

pub use algorithm::KeyAlgorithm;
pub use authority::{Authority, CaSettings, KeyStore};
pub use error::CaError;
