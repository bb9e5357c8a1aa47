//! Keys held in memory, loaded from sealed PKCS#8.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use sm2::dsa::SigningKey as Sm2SigningKey;
use sm2::elliptic_curve::Generate;
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use super::Signer;
use crate::verify::SM2_DIST_ID;
use crate::{KeyAlgorithm, PkiError};

pub struct SoftwareKey {
    algorithm: KeyAlgorithm,
    inner: Inner,
    spki: Vec<u8>,
}

enum Inner {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Sm2(Box<Sm2SigningKey>),
}

impl SoftwareKey {
    /// A fresh key pair; also returns its PKCS#8 for sealing.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<(Self, Zeroizing<Vec<u8>>), PkiError> {
        let pkcs8: Zeroizing<Vec<u8>> = match algorithm {
            KeyAlgorithm::P256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(
                    &ECDSA_P256_SHA256_ASN1_SIGNING,
                    &SystemRandom::new(),
                )
                .map_err(|_| PkiError::Signing)?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                let size = if algorithm == KeyAlgorithm::Rsa2048 {
                    KeySize::Rsa2048
                } else {
                    KeySize::Rsa3072
                };
                let kp = RsaKeyPair::generate(size).map_err(|_| PkiError::Signing)?;
                let der = kp.as_der().map_err(|_| PkiError::Signing)?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            KeyAlgorithm::Sm2 => {
                let secret = sm2::SecretKey::try_generate().map_err(|_| PkiError::Signing)?;
                let doc = secret.to_pkcs8_der().map_err(|_| PkiError::Signing)?;
                Zeroizing::new(doc.as_bytes().to_vec())
            }
        };
        let key = Self::from_pkcs8(algorithm, &pkcs8)?;
        Ok((key, pkcs8))
    }

    pub fn from_pkcs8(algorithm: KeyAlgorithm, pkcs8: &[u8]) -> Result<Self, PkiError> {
        let bad =
            |what: &str| PkiError::KeyAccess(format!("stored {algorithm} key is unusable: {what}"));
        let (inner, spki) = match algorithm {
            KeyAlgorithm::P256 => {
                let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
                    .map_err(|e| bad(&e.to_string()))?;
                let spki = kp
                    .public_key()
                    .as_der()
                    .map_err(|_| bad("no public key"))?
                    .as_ref()
                    .to_vec();
                (Inner::Ec(kp), spki)
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                let kp = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| bad(&e.to_string()))?;
                let spki = kp
                    .public_key()
                    .as_der()
                    .map_err(|_| bad("no public key"))?
                    .as_ref()
                    .to_vec();
                (Inner::Rsa(kp), spki)
            }
            KeyAlgorithm::Sm2 => {
                let secret =
                    sm2::SecretKey::from_pkcs8_der(pkcs8).map_err(|e| bad(&e.to_string()))?;
                let spki = secret
                    .public_key()
                    .to_public_key_der()
                    .map_err(|_| bad("no public key"))?
                    .as_bytes()
                    .to_vec();
                let sk = Sm2SigningKey::new(SM2_DIST_ID, &secret).map_err(|_| bad("bad scalar"))?;
                (Inner::Sm2(Box::new(sk)), spki)
            }
        };
        Ok(SoftwareKey {
            algorithm,
            inner,
            spki,
        })
    }
}

impl Signer for SoftwareKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        match &self.inner {
            Inner::Ec(kp) => kp
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| PkiError::Signing),
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| PkiError::Signing)?;
                Ok(sig)
            }
            Inner::Sm2(sk) => {
                use sm2::dsa::signature::Signer as _;
                let sig: sm2::dsa::Signature =
                    sk.try_sign(message).map_err(|_| PkiError::Signing)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }
}
