//! Private keys in the token: found by CKA_ID, label or all of them, and
//! signing inside the token with one.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use sha2::{Digest, Sha256};

use super::attrs::{id_of, label_of};
use super::ck::ck;
use super::session::Token;
use crate::error::Error;

/// The kinds of key pair the assistant makes in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    Rsa2048,
}

/// A private key in the token.
#[derive(Debug, Clone)]
pub struct KeyRef {
    pub(super) handle: ObjectHandle,
    pub id: Vec<u8>,
    pub label: String,
    pub kind: KeyKind,
}

impl KeyRef {
    /// The same key under its new label (after `Token::relabel`).
    pub fn with_label(self, label: String) -> KeyRef {
        KeyRef { label, ..self }
    }
}

impl Token {
    fn key_from(&self, handle: ObjectHandle) -> Result<KeyRef, Error> {
        let attrs = self
            .session
            .get_attributes(
                handle,
                &[
                    AttributeType::Id,
                    AttributeType::Label,
                    AttributeType::KeyType,
                ],
            )
            .map_err(ck)?;
        let kind = attrs
            .iter()
            .find_map(|a| match a {
                Attribute::KeyType(t) if *t == KeyType::EC => Some(KeyKind::P256),
                Attribute::KeyType(t) if *t == KeyType::RSA => Some(KeyKind::Rsa2048),
                _ => None,
            })
            .ok_or_else(|| Error::Token("不支持该密钥类型（仅支持 ECC P-256 与 RSA）".into()))?;
        Ok(KeyRef {
            handle,
            id: id_of(&attrs),
            label: label_of(&attrs),
            kind,
        })
    }

    /// Private keys matching a template (needs the login).
    fn private_keys(&self, extra: &[Attribute]) -> Result<Vec<KeyRef>, Error> {
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        template.extend_from_slice(extra);
        self.session
            .find_objects(&template)
            .map_err(ck)?
            .into_iter()
            .map(|h| self.key_from(h))
            .collect()
    }

    /// The private key paired with a certificate (same CKA_ID).
    pub fn key_by_id(&self, id: &[u8]) -> Result<Option<KeyRef>, Error> {
        Ok(self
            .private_keys(&[Attribute::Id(id.to_vec())])?
            .into_iter()
            .next())
    }

    /// Private keys with this exact label.
    pub fn keys_labelled(&self, label: &str) -> Result<Vec<KeyRef>, Error> {
        self.private_keys(&[Attribute::Label(label.as_bytes().to_vec())])
    }

    /// All private keys.
    pub fn keys(&self) -> Result<Vec<KeyRef>, Error> {
        self.private_keys(&[])
    }

    /// Signs inside the token: ECDSA with SHA-256 (DER), or RSA PKCS#1 v1.5
    /// with SHA-256.
    pub fn sign(&self, key: &KeyRef, message: &[u8]) -> Result<Vec<u8>, Error> {
        match key.kind {
            KeyKind::P256 => {
                let digest = Sha256::digest(message);
                let raw = self
                    .session
                    .sign(&Mechanism::Ecdsa, key.handle, &digest)
                    .map_err(ck)?;
                pki::signer::raw_ecdsa_to_der(&raw)
                    .map_err(|_| Error::Token("令牌返回的签名格式不正确".into()))
            }
            KeyKind::Rsa2048 => self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, key.handle, message)
                .map_err(ck),
        }
    }
}
