//! The holder's USB key over PKCS#11 (cryptoki): tokens and their certificates,
//! signing inside the token, key pairs generated inside it (sensitive, never
//! extractable), certificates written and old objects removed.
//!
//! A certificate and its key pair share one CKA_ID; that is how the assistant
//! (and every other PKCS#11 application) pairs them. SoftHSM has no
//! CKM_ECDSA_SHA256, so EC signatures hash first and use CKM_ECDSA; the token
//! returns raw r‖s, which is wrapped as DER.

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use der::{Decode, Encode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::Error;

/// Where Debian's SoftHSM2 puts its module (the default `--module`).
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The default module: SoftHSM2's when it is installed.
pub fn default_module() -> Option<PathBuf> {
    let p = Path::new(SOFTHSM_MODULE);
    p.exists().then(|| p.to_path_buf())
}

/// A loaded PKCS#11 module.
pub struct Module {
    ctx: Pkcs11,
    path: PathBuf,
}

/// CKA_APPLICATION of the e-seal data objects.
pub const SEAL_APPLICATION: &str = "certhall-seal";

/// The label binding an e-seal data object to the certificate under `id`.
pub fn seal_label(id: &[u8]) -> String {
    format!("certhall-seal {}", hex::encode(id))
}

/// A token as the assistant lists it.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub slot: Slot,
    pub label: String,
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    /// The token says few PIN tries are left.
    pub pin_count_low: bool,
    /// One more wrong PIN locks it.
    pub pin_final_try: bool,
    pub pin_locked: bool,
}

impl TokenInfo {
    /// What to tell the holder about their PIN tries, if anything.
    pub fn pin_warning(&self) -> Option<&'static str> {
        if self.pin_locked {
            Some("PIN 已锁定，请使用“找回密码”解锁")
        } else if self.pin_final_try {
            Some("PIN 只剩最后一次尝试机会，再错将被锁定")
        } else if self.pin_count_low {
            Some("PIN 剩余尝试次数不多，请谨慎输入")
        } else {
            None
        }
    }
}

fn ck(e: CkError) -> Error {
    match e {
        CkError::Pkcs11(RvError::PinIncorrect, _) => Error::WrongPin,
        CkError::Pkcs11(RvError::PinLocked, _) => Error::PinLocked,
        CkError::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => {
            Error::TokenRemoved
        }
        e => Error::Token(e.to_string()),
    }
}

impl Module {
    /// Loads and initialises a module (e.g. SoftHSM2's, or a USB key vendor's).
    pub fn load(path: &Path) -> Result<Module, Error> {
        let ctx = Pkcs11::new(path)
            .map_err(|e| Error::Token(format!("无法加载 PKCS#11 模块 {}：{e}", path.display())))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        Ok(Module {
            ctx,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens present now (a USB key plugged in is one).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, Error> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_initialized_token().map_err(ck)? {
            let t = self.ctx.get_token_info(slot).map_err(ck)?;
            out.push(TokenInfo {
                slot,
                label: t.label().trim().to_string(),
                serial: t.serial_number().trim().to_string(),
                manufacturer: t.manufacturer_id().trim().to_string(),
                model: t.model().trim().to_string(),
                pin_count_low: t.user_pin_count_low(),
                pin_final_try: t.user_pin_final_try(),
                pin_locked: t.user_pin_locked(),
            });
        }
        Ok(out)
    }

    /// The first slot holding a key that has not been initialised yet.
    pub fn blank_slot(&self) -> Result<Option<Slot>, Error> {
        for slot in self.ctx.get_slots_with_token().map_err(ck)? {
            if !self
                .ctx
                .get_token_info(slot)
                .map_err(ck)?
                .token_initialized()
            {
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }

    /// Initialises the key in `slot` with an SO PIN and a label.
    pub fn init_token(&self, slot: Slot, so_pin: &SecretString, label: &str) -> Result<(), Error> {
        self.ctx
            .init_token(slot, &AuthPin::new(so_pin.expose_secret().into()), label)
            .map_err(ck)
    }

    /// The serial of the key in `slot`.
    pub fn serial_of(&self, slot: Slot) -> Result<String, Error> {
        Ok(self
            .ctx
            .get_token_info(slot)
            .map_err(ck)?
            .serial_number()
            .trim()
            .to_string())
    }

    /// A read-write session on a token; certificates can be read without a PIN.
    pub fn open(&self, slot: Slot) -> Result<Token, Error> {
        Ok(Token {
            session: self.ctx.open_rw_session(slot).map_err(ck)?,
        })
    }
}

/// The kinds of key pair the assistant makes in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    Rsa2048,
}

/// A private key in the token.
#[derive(Debug, Clone)]
pub struct KeyRef {
    handle: ObjectHandle,
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

/// A certificate object in the token.
#[derive(Debug, Clone)]
pub struct TokenCert {
    pub id: Vec<u8>,
    pub label: String,
    pub der: Vec<u8>,
}

/// An open session on one token.
pub struct Token {
    session: Session,
}

fn label_of(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .find_map(|a| match a {
            Attribute::Label(l) => Some(String::from_utf8_lossy(l).into_owned()),
            _ => None,
        })
        .unwrap_or_default()
}

fn id_of(attrs: &[Attribute]) -> Vec<u8> {
    attrs
        .iter()
        .find_map(|a| match a {
            Attribute::Id(v) => Some(v.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

impl Token {
    /// Logs in with the user PIN. The PIN is used for this call only: never
    /// kept, never logged.
    pub fn login(&self, pin: &SecretString) -> Result<(), Error> {
        let pin = AuthPin::new(pin.expose_secret().into());
        match self.session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(e) => Err(ck(e)),
        }
    }

    /// Changes the user PIN (logged in or not, as the token allows).
    pub fn change_pin(&self, old: &SecretString, new: &SecretString) -> Result<(), Error> {
        let (old, new) = (
            AuthPin::new(old.expose_secret().into()),
            AuthPin::new(new.expose_secret().into()),
        );
        self.session.set_pin(&old, &new).map_err(ck)
    }

    /// Sets a new user PIN with the SO PIN (找回密码), then logs the SO out.
    pub fn reset_user_pin(&self, so_pin: &SecretString, new: &SecretString) -> Result<(), Error> {
        let so = AuthPin::new(so_pin.expose_secret().into());
        match self.session.login(UserType::So, Some(&so)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        let result = self
            .session
            .init_pin(&AuthPin::new(new.expose_secret().into()))
            .map_err(ck);
        let _ = self.session.logout();
        result
    }

    /// Every X.509 certificate object.
    pub fn certificates(&self) -> Result<Vec<TokenCert>, Error> {
        let handles = self
            .session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
            .map_err(ck)?;
        let mut out = Vec::new();
        for h in handles {
            let attrs = self
                .session
                .get_attributes(
                    h,
                    &[
                        AttributeType::Id,
                        AttributeType::Label,
                        AttributeType::Value,
                    ],
                )
                .map_err(ck)?;
            let der = attrs.iter().find_map(|a| match a {
                Attribute::Value(v) => Some(v.clone()),
                _ => None,
            });
            if let Some(der) = der {
                out.push(TokenCert {
                    id: id_of(&attrs),
                    label: label_of(&attrs),
                    der,
                });
            }
        }
        Ok(out)
    }

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

    /// Generates a key pair inside the token (the CA's template: private half
    /// sensitive and never extractable, both halves under `id` and `label`).
    pub fn generate(&self, kind: KeyKind, id: &[u8], label: &str) -> Result<KeyRef, Error> {
        let bits = match kind {
            KeyKind::P256 => 0,
            KeyKind::Rsa2048 => 2048,
        };
        let (mechanism, public, private) = pki::signer::key_pair_template(bits, id, label);
        let (_, private) = self
            .session
            .generate_key_pair(&mechanism, &public, &private)
            .map_err(ck)?;
        Ok(KeyRef {
            handle: private,
            id: id.to_vec(),
            label: label.to_string(),
            kind,
        })
    }

    /// The SubjectPublicKeyInfo (DER) of a key, from its public key object.
    pub fn public_spki(&self, key: &KeyRef) -> Result<Vec<u8>, Error> {
        let handle = self
            .session
            .find_objects(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::Id(key.id.clone()),
            ])
            .map_err(ck)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Token("令牌中找不到该密钥的公钥".into()))?;
        let missing = || Error::Token("令牌未返回公钥".into());
        match key.kind {
            KeyKind::P256 => {
                let attrs = self
                    .session
                    .get_attributes(handle, &[AttributeType::EcPoint])
                    .map_err(ck)?;
                let Some(Attribute::EcPoint(wrapped)) = attrs.into_iter().next() else {
                    return Err(missing());
                };
                Ok(pki::signer::p256_spki(&pki::signer::ec_point_of(&wrapped)))
            }
            KeyKind::Rsa2048 => {
                let attrs = self
                    .session
                    .get_attributes(
                        handle,
                        &[AttributeType::Modulus, AttributeType::PublicExponent],
                    )
                    .map_err(ck)?;
                let (mut n, mut e) = (None, None);
                for a in attrs {
                    match a {
                        Attribute::Modulus(v) => n = Some(v),
                        Attribute::PublicExponent(v) => e = Some(v),
                        _ => {}
                    }
                }
                Ok(pki::signer::rsa_spki(
                    &n.ok_or_else(missing)?,
                    &e.ok_or_else(missing)?,
                ))
            }
        }
    }

    /// Writes a certificate under `id` (next to its key) with the subject,
    /// issuer and serial fields other applications look for.
    pub fn write_certificate(&self, id: &[u8], label: &str, der: &[u8]) -> Result<(), Error> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
        let tbs = cert.tbs_certificate();
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|_| Error::Token("证书编码失败".into()));
        let subject = enc(tbs.subject().to_der())?;
        let issuer = enc(tbs.issuer().to_der())?;
        let serial = enc(tbs.serial_number().to_der())?;
        self.session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Id(id.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Subject(subject),
                Attribute::Issuer(issuer),
                Attribute::SerialNumber(serial),
                Attribute::Value(der.to_vec()),
            ])
            .map_err(ck)?;
        Ok(())
    }

    /// Writes the e-seal image of the certificate under `id` as a data object,
    /// replacing an earlier one. PKCS#11 gives data objects no CKA_ID (SoftHSM
    /// refuses one), so the binding is the label, `certhall-seal <hex CKA_ID>`,
    /// under the application `certhall-seal`. The new object is made before the
    /// old ones go: stopped in between, the token still holds a seal.
    pub fn write_seal(&self, id: &[u8], png: &[u8]) -> Result<(), Error> {
        let old = self.seal_handles(id)?;
        self.session
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
                Attribute::Label(seal_label(id).into_bytes()),
                Attribute::Value(png.to_vec()),
            ])
            .map_err(ck)?;
        for h in old {
            self.session.destroy_object(h).map_err(ck)?;
        }
        Ok(())
    }

    /// The e-seal image of the certificate under `id`, if one is written.
    pub fn read_seal(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some(h) = self.seal_handles(id)?.into_iter().next() else {
            return Ok(None);
        };
        let attrs = self
            .session
            .get_attributes(h, &[AttributeType::Value])
            .map_err(ck)?;
        Ok(attrs.into_iter().find_map(|a| match a {
            Attribute::Value(v) => Some(v),
            _ => None,
        }))
    }

    fn seal_handles(&self, id: &[u8]) -> Result<Vec<ObjectHandle>, Error> {
        self.session
            .find_objects(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
                Attribute::Label(seal_label(id).into_bytes()),
            ])
            .map_err(ck)
    }

    /// Gives every object under `id` a new label.
    pub fn relabel(&self, id: &[u8], label: &str) -> Result<(), Error> {
        for h in self
            .session
            .find_objects(&[Attribute::Id(id.to_vec())])
            .map_err(ck)?
        {
            self.session
                .update_attributes(h, &[Attribute::Label(label.as_bytes().to_vec())])
                .map_err(ck)?;
        }
        Ok(())
    }

    /// Removes every object under `id` (certificate, private and public key).
    pub fn delete_id(&self, id: &[u8]) -> Result<usize, Error> {
        let handles = self
            .session
            .find_objects(&[Attribute::Id(id.to_vec())])
            .map_err(ck)?;
        let n = handles.len();
        for h in handles {
            self.session.destroy_object(h).map_err(ck)?;
        }
        Ok(n)
    }
}
