//! An open container: its SM2 signing key pair (made inside, never
//! exported), the encryption key pair a KMC delivers, and a certificate for
//! each.

use crate::SkfError;
use crate::app::App;
use crate::blobs::{EccPublicKeyBlob, PUBLIC_KEY_BLOB_LEN, cipher_blob_bytes, enveloped_key_bytes};
use crate::ecc::{EccCipher, EnvelopedKey, Sm2PublicKey, Sm2Signature};
use crate::ffi::ContainerHandle;
use crate::names;
use crate::sar::{SAR_BUFFER_TOO_SMALL, SAR_CERTNOTFOUNTERR};

/// The algorithm passed to `SKF_GenECCKeyPair`: 0x00020100 is `SGD_SM2_1`
/// (signing) in most vendors' SKF headers and `SGD_SM2` in GM/T 0006, so
/// both readings accept it (0x00020200, GM/T 0006's `SGD_SM2_1`, is refused
/// by some vendors).
const SGD_SM2_1: u32 = 0x0002_0100;

/// An open container; `SKF_CloseContainer` when dropped.
pub struct Container<'a> {
    app: &'a App<'a>,
    raw: ContainerHandle<'a>,
    name: String,
}

/// `SKF_GetContainerType`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Empty,
    Rsa,
    Ecc,
    Other(u32),
}

impl<'a> Container<'a> {
    pub(crate) fn new(app: &'a App<'a>, raw: ContainerHandle<'a>, name: &str) -> Self {
        Container {
            app,
            raw,
            name: name.to_owned(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes a new SM2 signing key pair inside the key (replacing the
    /// container's signing key) and returns its public key.
    pub fn gen_sm2_key(&self) -> Result<Sm2PublicKey, SkfError> {
        self.raw.gen_ecc_key_pair(SGD_SM2_1)?.to_key()
    }

    /// The signing (`sign`) or encryption public key.
    pub fn public_key(&self, sign: bool) -> Result<Sm2PublicKey, SkfError> {
        let mut bytes = [0u8; PUBLIC_KEY_BLOB_LEN];
        let len = self.raw.export_public_key(sign, &mut bytes)?;
        if names::checked_len("SKF_ExportPublicKey", len, bytes.len())? != bytes.len() {
            return Err(SkfError::Vendor(format!(
                "SKF_ExportPublicKey gave {len} bytes, not an ECCPUBLICKEYBLOB"
            )));
        }
        EccPublicKeyBlob::from_bytes(&bytes).to_key()
    }

    /// What [`sign_digest`](Self::sign_digest) signs for `message`:
    /// `SM3(Z ‖ message)` with this container's signing key and `id` (by the
    /// device if it can, see [`crate::Device::digest_for_signing`]).
    pub fn sm3_digest_for_signing(&self, id: &[u8], message: &[u8]) -> Result<[u8; 32], SkfError> {
        let key = self.public_key(true)?;
        self.app.device().digest_for_signing(&key, id, message)
    }

    /// Signs a digest with the signing private key (after the user PIN).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Sm2Signature, SkfError> {
        self.raw.ecc_sign_data(digest)?.to_signature()
    }

    /// Signs `message` as SM2 with `id` (`SM3(Z ‖ message)`, then
    /// `SKF_ECCSignData`); [`Sm2Signature::to_der`] gives X.509's form.
    pub fn sign_message(&self, id: &[u8], message: &[u8]) -> Result<Sm2Signature, SkfError> {
        self.sign_digest(&self.sm3_digest_for_signing(id, message)?)
    }

    /// Writes the signing (`sign`) or encryption certificate, DER.
    pub fn import_certificate(&self, sign: bool, der: &[u8]) -> Result<(), SkfError> {
        if der.is_empty() || der.len() > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput(format!("证书长度 {}", der.len())));
        }
        self.raw.import_certificate(sign, der)
    }

    /// The signing (`sign`) or encryption certificate; `None` if the slot is
    /// empty (`SAR_CERTNOTFOUNTERR`, or an empty answer as some vendors give).
    pub fn export_certificate(&self, sign: bool) -> Result<Option<Vec<u8>>, SkfError> {
        match names::fetch("SKF_ExportCertificate", |buf| {
            self.raw.export_certificate(sign, buf)
        }) {
            Ok(der) if der.is_empty() => Ok(None),
            Ok(der) => Ok(Some(der)),
            Err(SkfError::Sar {
                code: SAR_CERTNOTFOUNTERR,
                ..
            }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Imports a KMC's encryption key pair (`SKF_ImportECCKeyPair`, after
    /// the user PIN; optional in libraries).
    pub fn import_enveloped_key(&self, key: &EnvelopedKey) -> Result<(), SkfError> {
        self.raw.import_ecc_key_pair(&enveloped_key_bytes(key)?)
    }

    /// Decrypts with the encryption private key (`SKF_ECCPrvKeyDecrypt`, a
    /// vendor extension: optional). SM2's plaintext is as long as C2, so a
    /// buffer of that length is given; a library that wants the size
    /// protocol instead (`SAR_BUFFER_TOO_SMALL`) gets it.
    pub fn decrypt(&self, cipher: &EccCipher) -> Result<Vec<u8>, SkfError> {
        const NAME: &str = "SKF_ECCPrvKeyDecrypt";
        if cipher.cipher.is_empty() || cipher.cipher.len() > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput(format!(
                "密文长度 {}",
                cipher.cipher.len()
            )));
        }
        let blob = cipher_blob_bytes(cipher)?;
        let mut plain = vec![0u8; cipher.cipher.len()];
        match self.raw.ecc_prv_key_decrypt(&blob, Some(&mut plain)) {
            Ok(len) => {
                plain.truncate(names::checked_len(NAME, len, plain.len())?);
                Ok(plain)
            }
            Err(SkfError::Sar {
                code: SAR_BUFFER_TOO_SMALL,
                ..
            }) => names::fetch(NAME, |buf| self.raw.ecc_prv_key_decrypt(&blob, buf)),
            Err(error) => Err(error),
        }
    }

    /// `SKF_GetContainerType` (optional).
    pub fn kind(&self) -> Result<ContainerKind, SkfError> {
        Ok(match self.raw.get_container_type()? {
            0 => ContainerKind::Empty,
            1 => ContainerKind::Rsa,
            2 => ContainerKind::Ecc,
            other => ContainerKind::Other(other),
        })
    }
}

impl std::fmt::Debug for Container<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("name", &self.name)
            .finish()
    }
}
