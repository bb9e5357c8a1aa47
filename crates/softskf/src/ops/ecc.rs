//! SM2 with the container's keys and with outside public keys (GM/T 0016
//! §7.6.11–7.6.23). The private keys are used here and never returned.

use zeroize::Zeroizing;

use super::{ContainerContext, present_device};
use crate::crypto::{self, Ciphertext, PublicPoint, SM3_LEN, Signature, sm4};
use crate::handles::{self, Handle};
use crate::store::PrivateKey;
use crate::{SkfError, limits, sgd};

/// An `ENVELOPEDKEYBLOB`: an encryption key pair made by a KMC, its private
/// key encrypted under an SM4 key that is itself encrypted to the
/// container's signing public key.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub version: u32,
    pub symmetric_algorithm: u32,
    pub bits: u32,
    /// `cbEncryptedPriKey`: SM4-ECB of the 32-byte private key, in the last
    /// 32 bytes. Some KMCs encrypt all 64 bytes (the key right-aligned after
    /// 32 zero bytes); ECB encrypts blocks independently, so the last 32
    /// bytes are the same either way.
    pub encrypted_private_key: [u8; 64],
    pub public_key: PublicPoint,
    /// The SM4 key, encrypted to the signing public key.
    pub wrapped_key: Ciphertext,
}

/// `SKF_GenECCKeyPair`: needs the user PIN; makes the container's signing
/// key pair inside the key (replacing any, and dropping the certificate of
/// the old one) and returns the public key.
pub fn generate(container: Handle, algorithm: u32) -> Result<PublicPoint, SkfError> {
    if algorithm != sgd::SGD_SM2_1 && algorithm != sgd::SGD_SM2 {
        return Err(SkfError::NotSupported);
    }
    let table = handles::lock();
    let context = ContainerContext::resolve(&table, container)?;
    if context.app.dir.record()?.rsa_only {
        return Err(SkfError::NotSupported);
    }
    context.app.require_user()?;
    let secret = crypto::sm2::generate()?;
    context.update(|record| {
        record.sign_key = Some(PrivateKey::of(&secret));
        record.sign_cert = None;
        Ok(())
    })?;
    Ok(PublicPoint::of_secret(&secret))
}

/// `SKF_ExportPublicKey`: the signing or the encryption public key.
pub fn public_key(container: Handle, sign: bool) -> Result<PublicPoint, SkfError> {
    let table = handles::lock();
    let record = ContainerContext::resolve(&table, container)?.load()?;
    let key = if sign {
        record.sign_key
    } else {
        record.enc_key
    };
    key.ok_or(SkfError::KeyNotFound)?.public()
}

/// `SKF_ECCSignData`: needs the user PIN; signs the 32-byte digest
/// `SM3(Z ‖ M)` with the signing key.
pub fn sign(container: Handle, digest: &[u8]) -> Result<Signature, SkfError> {
    let digest: &[u8; SM3_LEN] = digest.try_into().map_err(|_| SkfError::InputLength)?;
    let table = handles::lock();
    let context = ContainerContext::resolve(&table, container)?;
    context.app.require_user()?;
    let key = context.load()?.sign_key.ok_or(SkfError::KeyNotFound)?;
    crypto::sm2::sign_digest(&key.secret()?, digest)
}

/// `SKF_ECCVerify` / `SKF_ExtECCVerify`: checks a signature over a 32-byte
/// digest with an outside public key.
pub fn verify(
    device: Handle,
    key: &PublicPoint,
    digest: &[u8],
    signature: &Signature,
) -> Result<(), SkfError> {
    let digest: &[u8; SM3_LEN] = digest.try_into().map_err(|_| SkfError::InputLength)?;
    present_device(&handles::lock(), device)?;
    crypto::sm2::verify_digest(key, digest, signature)
}

/// `SKF_ExtECCEncrypt`: encrypts to an outside public key.
pub fn encrypt(device: Handle, key: &PublicPoint, plain: &[u8]) -> Result<Ciphertext, SkfError> {
    if plain.is_empty() || plain.len() > limits::ECC_BUFFER_MAX {
        return Err(SkfError::InputLength);
    }
    present_device(&handles::lock(), device)?;
    crypto::sm2::encrypt(key, plain)
}

/// `SKF_ImportECCKeyPair`: needs the user PIN and a signing key pair.
/// Unwraps the SM4 key with the signing private key, decrypts the
/// encryption private key with it, checks that it belongs to the public key
/// given, and keeps the pair as the container's encryption key pair
/// (dropping the certificate of a previous one).
pub fn import_key_pair(container: Handle, envelope: &Envelope) -> Result<(), SkfError> {
    if envelope.version != 1 || envelope.bits != 256 {
        return Err(SkfError::InvalidParam);
    }
    if envelope.symmetric_algorithm != sgd::SGD_SM4_ECB {
        return Err(SkfError::NotSupported);
    }
    let table = handles::lock();
    let context = ContainerContext::resolve(&table, container)?;
    context.app.require_user()?;
    let sign_key = context.load()?.sign_key.ok_or(SkfError::KeyNotFound)?;

    let wrapping_key = crypto::sm2::decrypt(&sign_key.secret()?, &envelope.wrapped_key)?;
    let wrapping_key: &sm4::Key = wrapping_key
        .as_slice()
        .try_into()
        .map_err(|_| SkfError::InputData)?;
    let ecb = sm4::Mode {
        chaining: sm4::Chaining::Ecb,
        pad: false,
    };
    let private = sm4::decrypt(wrapping_key, ecb, &envelope.encrypted_private_key[32..])?;
    let secret = crypto::sm2::secret_from_bytes(&private)?;
    if PublicPoint::of_secret(&secret) != envelope.public_key {
        return Err(SkfError::InputData);
    }
    context.update(|record| {
        record.enc_key = Some(PrivateKey::of(&secret));
        record.enc_cert = None;
        Ok(())
    })
}

/// `SKF_ECCPrvKeyDecrypt`: needs the user PIN; decrypts with the
/// encryption private key (the signing key never decrypts).
pub fn decrypt(container: Handle, ciphertext: &Ciphertext) -> Result<Zeroizing<Vec<u8>>, SkfError> {
    if ciphertext.cipher.is_empty() || ciphertext.cipher.len() > limits::ECC_BUFFER_MAX {
        return Err(SkfError::InputLength);
    }
    let table = handles::lock();
    let context = ContainerContext::resolve(&table, container)?;
    context.app.require_user()?;
    let key = context.load()?.enc_key.ok_or(SkfError::KeyNotFound)?;
    crypto::sm2::decrypt(&key.secret()?, ciphertext)
}
