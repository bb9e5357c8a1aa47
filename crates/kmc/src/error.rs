use thiserror::Error;

/// What goes wrong in the KMC. A refused request is not an error here: it is
/// a signed `ErrorPkgRespond` (see `service`).
#[derive(Debug, Error)]
pub enum KmcError {
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("DER: {0}")]
    Der(#[from] der::Error),
    /// The master key cannot be opened or used.
    #[error("KMC master key: {0}")]
    Master(String),
    /// The KMC has no certificate from its CA yet, so it cannot sign answers.
    #[error("the KMC has no certificate yet: the CA must certify its signing key first")]
    NoCertificate,
    /// The certificate offered is not for the KMC's signing key.
    #[error("this certificate is not for the KMC's signing key")]
    WrongCertificate,
}

impl KmcError {
    /// Whether the fault is the database's, for now (the CA should retry).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, KmcError::Store(e) if e.is_unavailable())
    }
}
