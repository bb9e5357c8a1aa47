//! The key algorithms a CA of ours can have, and how each one signs.

use std::fmt;
use std::str::FromStr;

use der::Encode;
use der::asn1::Null;
use spki::AlgorithmIdentifierOwned;

use crate::{PkiError, oids};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256 (the default).
    P256,
    Rsa2048,
    Rsa3072,
    /// SM2 with SM3 (GM/T 0003, GM/T 0015), signer ID `1234567812345678`.
    Sm2,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 4] = [
        KeyAlgorithm::P256,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Sm2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "p256",
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::Sm2 => "sm2",
        }
    }

    pub fn is_sm2(self) -> bool {
        self == KeyAlgorithm::Sm2
    }

    /// The AlgorithmIdentifier of signatures made with this key.
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        match self {
            KeyAlgorithm::P256 => AlgorithmIdentifierOwned {
                oid: oids::ECDSA_WITH_SHA256,
                parameters: None,
            },
            // RFC 4055: the parameters of the PKCS#1 v1.5 identifiers are NULL.
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => AlgorithmIdentifierOwned {
                oid: oids::SHA256_WITH_RSA,
                parameters: Some(Null.into()),
            },
            KeyAlgorithm::Sm2 => AlgorithmIdentifierOwned {
                oid: oids::SM3_WITH_SM2,
                parameters: None,
            },
        }
    }

    #[expect(
        clippy::expect_used,
        reason = "one of four constant AlgorithmIdentifiers (an OID, NULL or no parameters): encoding cannot fail"
    )]
    pub fn signature_algorithm_der(self) -> Vec<u8> {
        self.signature_algorithm()
            .to_der()
            .expect("a fixed AlgorithmIdentifier always encodes")
    }
}

impl FromStr for KeyAlgorithm {
    type Err = PkiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| PkiError::UnknownAlgorithm(s.to_string()))
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
