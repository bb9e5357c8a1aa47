//! CA keys inside a PKCS#11 token (an HSM in production, SoftHSM2 in tests).
//!
//! Keys are generated in the token as sensitive, non-extractable objects and found
//! again by CKA_ID. SoftHSM has no CKM_ECDSA_SHA256, so EC signatures hash first
//! and use CKM_ECDSA; the token returns raw r‖s, which we wrap as DER.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{Signer, raw_ecdsa_to_der};
use crate::derw;
use crate::{KeyAlgorithm, PkiError};

/// Where the CA's keys live when they live in a token.
#[derive(Clone, Debug)]
pub struct TokenConfig {
    /// The PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
    pub module: PathBuf,
    /// CKA_LABEL of the token (`softhsm2-util --init-token --label …`).
    pub token_label: String,
    /// User PIN; never logged.
    pub pin: SecretString,
}

pub struct Token {
    ctx: Pkcs11,
    slot: Slot,
    pin: SecretString,
}

/// One initialised context per module for the life of the process: a second
/// C_Initialize fails, and finalising one context would log every other out.
fn context(module: &PathBuf) -> Result<Pkcs11, PkiError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut map = CONTEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = map.get(module) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(module)
        .map_err(|e| PkiError::Pkcs11(format!("cannot load module {}: {e}", module.display())))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(e.into()),
    }
    map.insert(module.clone(), ctx.clone());
    Ok(ctx)
}

impl Token {
    pub fn open(cfg: &TokenConfig) -> Result<Arc<Token>, PkiError> {
        let ctx = context(&cfg.module)?;
        let mut found = None;
        for slot in ctx.get_slots_with_initialized_token()? {
            let info = ctx.get_token_info(slot)?;
            if info.label().trim() == cfg.token_label {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| {
            PkiError::Pkcs11(format!(
                "no initialised token labelled `{}` in {}",
                cfg.token_label,
                cfg.module.display()
            ))
        })?;
        let token = Token {
            ctx,
            slot,
            pin: cfg.pin.clone(),
        };
        // Fail now, with a clear message, rather than at the first signature.
        token.session()?;
        Ok(Arc::new(token))
    }

    fn session(&self) -> Result<Session, PkiError> {
        let session = self.ctx.open_rw_session(self.slot)?;
        let pin = AuthPin::new(self.pin.expose_secret().into());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                Err(PkiError::Pkcs11("the token refused the PIN".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Generates a key pair inside the token. Returns the key and its CKA_ID (hex).
    pub fn generate(
        self: &Arc<Self>,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<(Pkcs11Key, String), PkiError> {
        let mut id = [0u8; 16];
        SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| PkiError::Signing)?;
        let session = self.session()?;
        let Some(bits) = rsa_bits(algorithm) else {
            return Err(PkiError::Pkcs11(
                "SM2 keys in a PKCS#11 token are not supported (the standard has no SM2 \
                 mechanism); use a software SM2 key"
                    .into(),
            ));
        };
        let (mechanism, public, common_private) = key_pair_template(bits, &id, label);
        let (pub_handle, priv_handle) =
            session.generate_key_pair(&mechanism, &public, &common_private)?;
        let spki = public_spki(&session, algorithm, pub_handle)?;
        Ok((
            Pkcs11Key {
                algorithm,
                session: Mutex::new(session),
                key: priv_handle,
                spki,
            },
            hex::encode(id),
        ))
    }

    /// Finds a key pair generated earlier by its CKA_ID.
    pub fn key(
        self: &Arc<Self>,
        algorithm: KeyAlgorithm,
        id_hex: &str,
    ) -> Result<Pkcs11Key, PkiError> {
        let id = hex::decode(id_hex)
            .map_err(|_| PkiError::KeyAccess(format!("bad stored key id `{id_hex}`")))?;
        let session = self.session()?;
        let find = |class| -> Result<ObjectHandle, PkiError> {
            session
                .find_objects(&[Attribute::Class(class), Attribute::Id(id.clone())])?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    PkiError::KeyAccess(format!("the token has no key with CKA_ID {id_hex}"))
                })
        };
        let private = find(ObjectClass::PRIVATE_KEY)?;
        let public = find(ObjectClass::PUBLIC_KEY)?;
        let spki = public_spki(&session, algorithm, public)?;
        Ok(Pkcs11Key {
            algorithm,
            session: Mutex::new(session),
            key: private,
            spki,
        })
    }
}

/// CKA_LABEL of the token's AES key that seals the CA's small secrets.
const SEALING_LABEL: &str = "certhall-sealing";
/// `CHT1` | IV[12] | ciphertext+tag: sealed by the token, not the passphrase.
pub const SEALED_MAGIC: &[u8; 4] = b"CHT1";

impl Token {
    /// Seals a small secret (the audit key, an escrowed SO PIN) with the
    /// token's AES-256 key (made on first use, sensitive, never extractable),
    /// AES-GCM with `aad`: opening it needs the token, not the database.
    pub fn seal_secret(&self, aad: &str, secret: &[u8]) -> Result<Vec<u8>, PkiError> {
        let session = self.session()?;
        let key = match self.sealing_keys(&session)?.into_iter().next() {
            Some(k) => k,
            None => session.generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(cryptoki::object::KeyType::AES),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                    Attribute::Label(SEALING_LABEL.as_bytes().to_vec()),
                ],
            )?,
        };
        let mut iv = [0u8; 12];
        SystemRandom::new()
            .fill(&mut iv)
            .map_err(|_| PkiError::Signing)?;
        let mut out = SEALED_MAGIC.to_vec();
        out.extend_from_slice(&iv);
        let params = GcmParams::new(&mut iv, aad.as_bytes(), 128.into())?;
        out.extend(session.encrypt(&Mechanism::AesGcm(params), key, secret)?);
        Ok(out)
    }

    /// Opens what `seal_secret` sealed with the same `aad`.
    pub fn open_secret(&self, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, PkiError> {
        let bad = || PkiError::KeyAccess("a secret sealed by the token cannot be opened".into());
        if sealed.len() < 4 + 12 + 16 || &sealed[..4] != SEALED_MAGIC {
            return Err(bad());
        }
        let session = self.session()?;
        // Two instances starting at once may each have made a key: try both.
        for key in self.sealing_keys(&session)? {
            // The length is checked above.
            let mut iv = [0u8; 12];
            iv.copy_from_slice(&sealed[4..16]);
            let params = GcmParams::new(&mut iv, aad.as_bytes(), 128.into())?;
            if let Ok(plain) = session.decrypt(&Mechanism::AesGcm(params), key, &sealed[16..]) {
                return Ok(Zeroizing::new(plain));
            }
        }
        Err(bad())
    }

    fn sealing_keys(&self, session: &Session) -> Result<Vec<ObjectHandle>, PkiError> {
        Ok(session.find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(SEALING_LABEL.as_bytes().to_vec()),
        ])?)
    }
}

/// RSA modulus bits of an algorithm a token can make keys for (0 for P-256);
/// None for SM2, which PKCS#11 has no mechanism for.
fn rsa_bits(algorithm: KeyAlgorithm) -> Option<u64> {
    match algorithm {
        KeyAlgorithm::P256 => Some(0),
        KeyAlgorithm::Rsa2048 => Some(2048),
        KeyAlgorithm::Rsa3072 => Some(3072),
        KeyAlgorithm::Sm2 => None,
    }
}

/// The mechanism and the public and private templates of a key pair made in
/// a token: private half sensitive and never extractable, both halves under
/// `id` and `label`. `rsa_bits` 0 means ECDSA P-256. Shared by the CA's HSM
/// keys and the holder's USB key (the assistant).
pub fn key_pair_template(
    rsa_bits: u64,
    id: &[u8],
    label: &str,
) -> (Mechanism<'static>, Vec<Attribute>, Vec<Attribute>) {
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Verify(true),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let mechanism = if rsa_bits == 0 {
        public.push(Attribute::EcParams(derw::wrap(
            0x06,
            crate::oids::CURVE_P256.as_bytes(),
        )));
        Mechanism::EccKeyPairGen
    } else {
        public.push(Attribute::ModulusBits(rsa_bits.into()));
        public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
        Mechanism::RsaPkcsKeyPairGen
    };
    (mechanism, public, private)
}

/// Reads a public key object and encodes it as a SubjectPublicKeyInfo.
fn public_spki(
    session: &Session,
    algorithm: KeyAlgorithm,
    handle: ObjectHandle,
) -> Result<Vec<u8>, PkiError> {
    let missing = || PkiError::Pkcs11("the token did not return the public key".into());
    match algorithm {
        KeyAlgorithm::P256 => {
            let attrs = session.get_attributes(handle, &[AttributeType::EcPoint])?;
            let Some(Attribute::EcPoint(wrapped)) = attrs.into_iter().next() else {
                return Err(missing());
            };
            Ok(super::p256_spki(&super::ec_point_of(&wrapped)))
        }
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
            let attrs = session.get_attributes(
                handle,
                &[AttributeType::Modulus, AttributeType::PublicExponent],
            )?;
            let (mut n, mut e) = (None, None);
            for a in attrs {
                match a {
                    Attribute::Modulus(v) => n = Some(v),
                    Attribute::PublicExponent(v) => e = Some(v),
                    _ => {}
                }
            }
            Ok(super::rsa_spki(
                &n.ok_or_else(missing)?,
                &e.ok_or_else(missing)?,
            ))
        }
        KeyAlgorithm::Sm2 => Err(missing()),
    }
}

pub struct Pkcs11Key {
    algorithm: KeyAlgorithm,
    // A PKCS#11 session runs one operation at a time.
    session: Mutex<Session>,
    key: ObjectHandle,
    spki: Vec<u8>,
}

impl Signer for Pkcs11Key {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let session = self.session.lock().map_err(|_| PkiError::Signing)?;
        match self.algorithm {
            KeyAlgorithm::P256 => {
                let digest = Sha256::digest(message);
                let raw = session.sign(&Mechanism::Ecdsa, self.key, &digest)?;
                raw_ecdsa_to_der(&raw)
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                Ok(session.sign(&Mechanism::Sha256RsaPkcs, self.key, message)?)
            }
            KeyAlgorithm::Sm2 => Err(PkiError::Signing),
        }
    }
}
