//! certhall's PKI without a database or a runtime: key algorithms and
//! signers (software keys and PKCS#11 tokens), CSR checks, DER writing,
//! certificate, CRL and OCSP encoding, profiles and signature verification.
//! The CA (`ca`, which joins these to the store) and the desktop assistant
//! (which makes CSRs in a USB key) both build on it.

mod algorithm;
pub mod asn1time;
pub mod cert;
pub mod crl;
pub mod csr;
pub mod derw;
pub mod envelope;
mod error;
pub mod gmt0014;
pub mod keywrap;
pub mod ocsp;
pub mod oids;
pub mod profile;
pub mod signer;
pub mod tlv;
pub mod verify;

pub use algorithm::KeyAlgorithm;
pub use error::PkiError;
