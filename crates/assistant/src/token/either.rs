//! One key, over PKCS#11 or SKF: what the flows ask of it.

use secrecy::SecretString;

use super::pkcs11::P11Token;
use super::skf::SkfToken;
use super::types::{KeyKind, KeyRef, TokenCert};
use crate::error::Error;

/// An open key.
pub enum Token {
    Pkcs11(P11Token),
    Skf(SkfToken),
}

/// The same call on either side.
macro_rules! either {
    ($self:ident, $t:ident => $call:expr) => {
        match $self {
            Token::Pkcs11($t) => $call,
            Token::Skf($t) => $call,
        }
    };
}

impl Token {
    /// The key pair made when none is asked for: SM2 in an SKF key (what
    /// Chinese USB keys make), P-256 in a PKCS#11 token.
    pub fn default_kind(&self) -> KeyKind {
        match self {
            Token::Pkcs11(_) => KeyKind::P256,
            Token::Skf(_) => KeyKind::Sm2,
        }
    }

    /// Logs in with the user PIN. The PIN is used for this call only: never
    /// kept, never logged.
    pub fn login(&self, pin: &SecretString) -> Result<(), Error> {
        either!(self, t => t.login(pin))
    }

    /// Changes the user PIN.
    pub fn change_pin(&self, old: &SecretString, new: &SecretString) -> Result<(), Error> {
        either!(self, t => t.change_pin(old, new))
    }

    /// Sets a new user PIN with the SO PIN (PKCS#11) or the administrator
    /// PIN (SKF): 找回密码.
    pub fn reset_user_pin(&self, so_pin: &SecretString, new: &SecretString) -> Result<(), Error> {
        either!(self, t => t.reset_user_pin(so_pin, new))
    }

    /// Every certificate, under the id of its key pair.
    pub fn certificates(&self) -> Result<Vec<TokenCert>, Error> {
        either!(self, t => t.certificates())
    }

    /// Writes a certificate next to the key pair under `id`.
    pub fn write_certificate(&self, id: &[u8], label: &str, der: &[u8]) -> Result<(), Error> {
        match self {
            Token::Pkcs11(t) => t.write_certificate(id, label, der),
            Token::Skf(t) => t.write_certificate(id, der),
        }
    }

    /// Every private key (after the login).
    pub fn keys(&self) -> Result<Vec<KeyRef>, Error> {
        either!(self, t => t.keys())
    }

    /// The private key under `id`.
    pub fn key_by_id(&self, id: &[u8]) -> Result<Option<KeyRef>, Error> {
        either!(self, t => t.key_by_id(id))
    }

    /// A key pair made inside the key under `id` (private half never leaves).
    pub fn generate(&self, kind: KeyKind, id: &[u8], label: &str) -> Result<KeyRef, Error> {
        either!(self, t => t.generate(kind, id, label))
    }

    /// The SubjectPublicKeyInfo (DER) of a key.
    pub fn public_spki(&self, key: &KeyRef) -> Result<Vec<u8>, Error> {
        either!(self, t => t.public_spki(key))
    }

    /// Signs inside the key: ECDSA-SHA256 or RSA PKCS#1 v1.5 SHA-256
    /// (PKCS#11), SM2 with SM3 and the signer ID (SKF); DER.
    pub fn sign(&self, key: &KeyRef, message: &[u8]) -> Result<Vec<u8>, Error> {
        either!(self, t => t.sign(key, message))
    }

    /// Gives every object under `id` a new label (SKF has no labels).
    pub fn relabel(&self, id: &[u8], label: &str) -> Result<(), Error> {
        match self {
            Token::Pkcs11(t) => t.relabel(id, label),
            Token::Skf(_) => Ok(()),
        }
    }

    /// Removes the key pair, certificate (and, SKF, seal) under `id`.
    pub fn delete_id(&self, id: &[u8]) -> Result<usize, Error> {
        either!(self, t => t.delete_id(id))
    }

    /// Writes the e-seal of the certificate under `id`.
    pub fn write_seal(&self, id: &[u8], png: &[u8]) -> Result<(), Error> {
        either!(self, t => t.write_seal(id, png))
    }

    /// The e-seal of the certificate under `id`.
    pub fn read_seal(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        either!(self, t => t.read_seal(id))
    }

    /// Imports a KMC's encryption key pair, enveloped to the signing key
    /// under `id`, and its certificate, into the same place (双证书).
    pub fn import_encryption(
        &self,
        id: &[u8],
        envelope: &pki::envelope::KeyEnvelope,
        cert_der: &[u8],
    ) -> Result<(), Error> {
        match self {
            Token::Pkcs11(_) => Err(Error::Usage(
                "该证书介质（PKCS#11）不能导入国密加密密钥对：双证书需要 SKF 接口的 USB Key".into(),
            )),
            Token::Skf(t) => t.import_encryption(id, envelope, cert_der),
        }
    }

    /// Decrypts an SM2 ciphertext inside the key, with the encryption
    /// private key next to the signing key under `id`.
    pub fn decrypt(&self, id: &[u8], cipher: &pki::envelope::Sm2Cipher) -> Result<Vec<u8>, Error> {
        match self {
            Token::Pkcs11(_) => Err(Error::Usage(
                "该证书介质（PKCS#11）没有国密加密密钥对".into(),
            )),
            Token::Skf(t) => t.decrypt(id, cipher),
        }
    }

    /// The encryption certificate next to the signing key under `id`.
    pub fn encryption_certificate(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Token::Pkcs11(_) => Ok(None),
            Token::Skf(t) => t.encryption_certificate(id),
        }
    }

    /// Carries the e-seal from the certificate under `from` to `to`.
    pub fn carry_seal(&self, from: &[u8], to: &[u8]) -> Result<(), Error> {
        either!(self, t => t.carry_seal(from, to))
    }
}
