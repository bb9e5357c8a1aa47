//! A connected device: what it says about itself, device authentication,
//! its applications, and the cryptography it offers without a container.

use crate::app::App;
use crate::blobs::{
    BlockCipherParam, EccPublicKeyBlob, EccSignatureBlob, cipher_from_bytes, field_text,
};
use crate::ecc::{EccCipher, Sm2PublicKey, Sm2Signature};
use crate::ffi::DevHandle;
use crate::library::Library;
use crate::names::{self, parse_list};
use crate::{SkfError, z};

/// The device authentication key vendors ship (`SKF_DevAuth`), until the
/// issuer changes it with `SKF_ChangeDevAuthKey`.
pub const DEFAULT_DEV_AUTH_KEY: [u8; 16] = *b"1234567812345678";

/// `SGD_SM4_ECB`.
const SGD_SM4_ECB: u32 = 0x0000_0401;

/// `SGD_SM3`.
const SGD_SM3: u32 = 0x0000_0001;

/// Access rights (`SECURE_*_ACCOUNT`) of files and of creating files.
pub mod access {
    pub const NEVER: u32 = 0x0000_0000;
    pub const ADMIN: u32 = 0x0000_0001;
    pub const USER: u32 = 0x0000_0010;
    pub const ANYONE: u32 = 0x0000_00FF;
}

/// A connected device; `SKF_DisConnectDev` when dropped (after everything
/// opened from it, which borrows it).
pub struct Device<'l> {
    library: &'l Library,
    raw: DevHandle<'l>,
    name: String,
}

/// `DEVINFO`, its text fields read up to their NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub version: (u8, u8),
    pub manufacturer: String,
    pub issuer: String,
    pub label: String,
    pub serial_number: String,
    pub hw_version: (u8, u8),
    pub firmware_version: (u8, u8),
    pub alg_sym_cap: u32,
    pub alg_asym_cap: u32,
    pub alg_hash_cap: u32,
    pub dev_auth_alg_id: u32,
    pub total_space: u32,
    pub free_space: u32,
    pub max_ecc_buffer_size: u32,
    pub max_buffer_size: u32,
}

impl<'l> Device<'l> {
    pub(crate) fn new(library: &'l Library, raw: DevHandle<'l>, name: &str) -> Self {
        Device {
            library,
            raw,
            name: name.to_owned(),
        }
    }

    /// The name it was connected by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The library it was connected through.
    pub fn library(&self) -> &'l Library {
        self.library
    }

    /// `SKF_GetDevInfo`.
    pub fn info(&self) -> Result<DeviceInfo, SkfError> {
        let info = self.raw.get_dev_info()?;
        Ok(DeviceInfo {
            version: (info.version.major, info.version.minor),
            manufacturer: field_text(&info.manufacturer),
            issuer: field_text(&info.issuer),
            label: field_text(&info.label),
            serial_number: field_text(&info.serial_number),
            hw_version: (info.hw_version.major, info.hw_version.minor),
            firmware_version: (info.firmware_version.major, info.firmware_version.minor),
            alg_sym_cap: info.alg_sym_cap,
            alg_asym_cap: info.alg_asym_cap,
            alg_hash_cap: info.alg_hash_cap,
            dev_auth_alg_id: info.dev_auth_alg_id,
            total_space: info.total_space,
            free_space: info.free_space,
            max_ecc_buffer_size: info.max_ecc_buffer_size,
            max_buffer_size: info.max_buffer_size,
        })
    }

    /// `len` random bytes from the device (`SKF_GenRandom`).
    pub fn random(&self, len: usize) -> Result<Vec<u8>, SkfError> {
        if len == 0 || len > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput(format!("随机数长度 {len}")));
        }
        let mut random = vec![0u8; len];
        self.raw.gen_random(&mut random)?;
        Ok(random)
    }

    /// Device authentication with the vendors' default key, which creating
    /// and deleting an application need on a key as sold.
    pub fn dev_auth_default(&self) -> Result<(), SkfError> {
        self.dev_auth(&DEFAULT_DEV_AUTH_KEY)
    }

    /// Device authentication (`SKF_DevAuth`): an 8-byte `SKF_GenRandom`
    /// challenge, zero-padded to 16 bytes, encrypted in ECB mode under `key`
    /// by the device itself (`SKF_SetSymmKey`, `SKF_EncryptInit`,
    /// `SKF_Encrypt`), with the algorithm `DEVINFO.DevAuthAlgId` names
    /// (SM4-ECB if it names none). This is the common vendor convention;
    /// the standard leaves the challenge's length to the vendor.
    pub fn dev_auth(&self, key: &[u8; 16]) -> Result<(), SkfError> {
        let algorithm = match self.info()?.dev_auth_alg_id {
            0 => SGD_SM4_ECB,
            named => named,
        };
        let mut challenge = [0u8; 16];
        self.raw.gen_random(&mut challenge[..8])?;
        let session = self.raw.set_symm_key(key, algorithm)?;
        session.encrypt_init(BlockCipherParam {
            iv: [0; 32],
            iv_len: 0,
            padding_type: 0,
            feed_bit_len: 0,
        })?;
        let mut answer = [0u8; 32];
        let len = session.encrypt(&challenge, &mut answer)?;
        let len = names::checked_len("SKF_Encrypt", len, answer.len())?;
        if len != challenge.len() {
            return Err(SkfError::Vendor(format!(
                "SKF_Encrypt gave {len} bytes for one 16-byte block"
            )));
        }
        drop(session);
        self.raw.dev_auth(&answer[..len])
    }

    /// Creates an application (after [`dev_auth`](Self::dev_auth)) and
    /// opens it. Anyone may create files in it (`SECURE_ANYONE_ACCOUNT`),
    /// as in vendors' default applications; each file has its own rights.
    pub fn create_app(
        &self,
        name: &str,
        admin_pin: &str,
        admin_retries: u32,
        user_pin: &str,
        user_retries: u32,
    ) -> Result<App<'_>, SkfError> {
        let c_name = names::name("应用名", name)?;
        let (admin, user) = (names::pin(admin_pin)?, names::pin(user_pin)?);
        let raw = self.raw.create_application(
            &c_name,
            &admin,
            admin_retries,
            &user,
            user_retries,
            access::ANYONE,
        )?;
        Ok(App::new(self, raw, name))
    }

    /// The applications' names (`SKF_EnumApplication`).
    pub fn apps(&self) -> Result<Vec<String>, SkfError> {
        let list = names::fetch("SKF_EnumApplication", |buf| self.raw.enum_application(buf))?;
        Ok(parse_list(&list))
    }

    /// Opens the application `name`; it is closed when dropped.
    pub fn open_app(&self, name: &str) -> Result<App<'_>, SkfError> {
        let raw = self.raw.open_application(&names::name("应用名", name)?)?;
        Ok(App::new(self, raw, name))
    }

    /// Deletes the application `name` (after [`dev_auth`](Self::dev_auth));
    /// `NotSupported` if the library has no `SKF_DeleteApplication`.
    pub fn delete_app(&self, name: &str) -> Result<(), SkfError> {
        self.raw.delete_application(&names::name("应用名", name)?)
    }

    /// The SM2 signing digest `SM3(Z ‖ message)` of `key` and `id`: by the
    /// device (`SKF_DigestInit` with the key and ID, `SKF_Digest`) where the
    /// library has those functions, else in software ([`z`]).
    pub fn digest_for_signing(
        &self,
        key: &Sm2PublicKey,
        id: &[u8],
        message: &[u8],
    ) -> Result<[u8; 32], SkfError> {
        match self.digest_in_library(key, id, message) {
            Err(SkfError::NotSupported(_)) => z::digest_for_signing(key, id, message),
            other => other,
        }
    }

    /// As [`digest_for_signing`](Self::digest_for_signing), by the device
    /// only: `NotSupported` without `SKF_DigestInit` and `SKF_Digest`.
    pub fn digest_in_library(
        &self,
        key: &Sm2PublicKey,
        id: &[u8],
        message: &[u8],
    ) -> Result<[u8; 32], SkfError> {
        z::check_id(id)?;
        if message.len() > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput("待签数据过长".into()));
        }
        let hash = self
            .raw
            .digest_init(SGD_SM3, Some(EccPublicKeyBlob::new(key)), id)?;
        let mut digest = [0u8; 32];
        let len = hash.digest(message, &mut digest)?;
        if names::checked_len("SKF_Digest", len, digest.len())? != digest.len() {
            return Err(SkfError::Vendor(format!(
                "SKF_Digest gave {len} bytes of SM3"
            )));
        }
        Ok(digest)
    }

    /// Verifies an SM2 signature over a digest with an outside key
    /// (`SKF_ECCVerify` or `SKF_ExtECCVerify`).
    pub fn verify_digest(
        &self,
        key: &Sm2PublicKey,
        digest: &[u8; 32],
        signature: &Sm2Signature,
    ) -> Result<(), SkfError> {
        self.raw.ecc_verify(
            EccPublicKeyBlob::new(key),
            digest,
            EccSignatureBlob::new(signature),
        )
    }

    /// Encrypts `plain` to an outside SM2 key (`SKF_ExtECCEncrypt`).
    pub fn encrypt_to(&self, key: &Sm2PublicKey, plain: &[u8]) -> Result<EccCipher, SkfError> {
        if plain.is_empty() || plain.len() > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput(format!("明文长度 {}", plain.len())));
        }
        // The head, C2 as long as the plaintext, and the one byte of
        // `Cipher[1]` that C's `sizeof(ECCCIPHERBLOB)` counts.
        let mut out = vec![0u8; size_of::<crate::blobs::EccCipherBlobHead>() + plain.len() + 1];
        self.raw
            .ext_ecc_encrypt(EccPublicKeyBlob::new(key), plain, &mut out)?;
        cipher_from_bytes("SKF_ExtECCEncrypt", &out)
    }
}

impl std::fmt::Debug for Device<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").field("name", &self.name).finish()
    }
}
