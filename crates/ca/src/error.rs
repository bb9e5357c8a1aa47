use pki::PkiError;
use thiserror::Error;

/// Everything the CA can refuse or fail at: what the PKI code refuses (a CSR,
/// a key, a subject), and what the authority itself decides over the store.
#[derive(Debug, Error)]
pub enum CaError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("request id `{0}` was already used for a different key")]
    RequestIdReused(String),
    #[error("certificate {0} is not one we issued")]
    UnknownCertificate(String),
    #[error("certificate {serial} is already revoked")]
    AlreadyRevoked { serial: String },
    #[error("certificate {serial} has not been issued yet")]
    NotIssued { serial: String },
    #[error("the CA is already initialised ({0}); refusing to create a second hierarchy")]
    AlreadyInitialised(String),
    #[error("the CA is not initialised yet: run `certhall ca init` or start `certhall serve`")]
    NotInitialised,
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The KMC could not deliver an encryption key pair (down, refusing, or
    /// answering what does not verify). Nothing was issued; the same request
    /// later completes the pair.
    #[error("the KMC: {0}")]
    Kmc(String),
}

impl From<der::Error> for CaError {
    fn from(e: der::Error) -> Self {
        CaError::Pki(PkiError::Encoding(e))
    }
}

impl From<domain::ParseError> for CaError {
    fn from(e: domain::ParseError) -> Self {
        CaError::Pki(PkiError::Subject(e))
    }
}

impl From<cryptoki::error::Error> for CaError {
    fn from(e: cryptoki::error::Error) -> Self {
        CaError::Pki(PkiError::from(e))
    }
}
