use thiserror::Error;

/// What the PKI code can refuse or fail at. Variants that describe the
/// caller's input carry a message fit to show that caller.
#[derive(Debug, Error)]
pub enum PkiError {
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
    #[error("cannot open the CA key: {0}")]
    KeyAccess(String),
    #[error("HSM (PKCS#11): {0}")]
    Pkcs11(String),
    #[error("signing failed")]
    Signing,
    /// A key envelope (GB/T 35276, GB/T 35275, SKF's ENVELOPEDKEYBLOB) that
    /// cannot be read or opened.
    #[error("key envelope: {0}")]
    Envelope(String),
    /// A GM/T 0014 CA–KMC message that cannot be read or does not verify.
    #[error("GM/T 0014 message: {0}")]
    KmcMessage(String),
    #[error("DER encoding failed")]
    Encoding(#[from] der::Error),
}

impl From<cryptoki::error::Error> for PkiError {
    fn from(e: cryptoki::error::Error) -> Self {
        PkiError::Pkcs11(e.to_string())
    }
}
