use thiserror::Error;

/// Everything the CA can refuse or fail at. Variants that describe the caller's
/// input carry a message fit to show that caller; the rest are internal.
#[derive(Debug, Error)]
pub enum CaError {
    #[error("unknown key algorithm `{0}`; use p256, rsa2048, rsa3072 or sm2")]
    UnknownAlgorithm(String),
    #[error("malformed CSR: {0}")]
    MalformedCsr(String),
    #[error("the CSR's signature does not verify: it was not signed by the key it carries")]
    CsrSignature,
    #[error("key refused: {0}")]
    KeyPolicy(String),
    #[error("{0}")]
    Subject(#[from] domain::ParseError),
    #[error("validity: {0}")]
    Validity(String),
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
    #[error("cannot open the CA key: {0}")]
    KeyAccess(String),
    #[error("HSM (PKCS#11): {0}")]
    Pkcs11(String),
    #[error("signing failed")]
    Signing,
    #[error("DER encoding failed")]
    Encoding(#[from] der::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<cryptoki::error::Error> for CaError {
    fn from(e: cryptoki::error::Error) -> Self {
        CaError::Pkcs11(e.to_string())
    }
}
