//! Private keys in the token: found by CKA_ID, label or all of them, and
//! signing inside the token with one.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use sha2::{Digest, Sha256};

use super::attrs::{id_of, label_of};
use super::ck::ck;
use super::session::P11Token;
use crate::error::Error;
use crate::token::types::{KeyHandle, KeyKind, KeyRef};

impl P11Token {
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
            handle: KeyHandle::Pkcs11(handle),
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
        let handle = handle_of(key)?;
        match key.kind {
            KeyKind::P256 => {
                let digest = Sha256::digest(message);
                let raw = self
                    .session
                    .sign(&Mechanism::Ecdsa, handle, &digest)
                    .map_err(ck)?;
                pki::signer::raw_ecdsa_to_der(&raw)
                    .map_err(|_| Error::Token("令牌返回的签名格式不正确".into()))
            }
            KeyKind::Rsa2048 => self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, handle, message)
                .map_err(ck),
            KeyKind::Sm2 => Err(no_sm2()),
        }
    }
}

/// The object handle of a key found in a PKCS#11 token.
fn handle_of(key: &KeyRef) -> Result<ObjectHandle, Error> {
    match &key.handle {
        KeyHandle::Pkcs11(h) => Ok(*h),
        KeyHandle::Skf(_) => Err(Error::Token("该密钥不在这个证书介质中".into())),
    }
}

/// What a PKCS#11 key is told when SM2 is asked of it: SoftHSM2 and the
/// PKCS#11 modules of most keys have no SM2 mechanism.
pub(super) fn no_sm2() -> Error {
    Error::Usage(
        "该证书介质（PKCS#11）不支持 SM2 算法，请使用支持国密的 USB Key（SKF 接口）".into(),
    )
}
