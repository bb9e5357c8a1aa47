//! 双证书: the encryption key pair a KMC made (GM/T 0034 §6), imported into
//! the container that holds the signing key it was enveloped to
//! (`SKF_ImportECCKeyPair`, GB/T 35291 §7.6.14), and its certificate in
//! the container's encryption slot. The key never exists in the clear
//! outside the USB key: the envelope is opened inside it, with the signing
//! private key.

use pki::envelope::{KeyEnvelope, Sm2Cipher};
use skf::{EccCipher, EnvelopedKey, Sm2PublicKey};

use super::names::container_of;
use super::token::SkfToken;
use crate::error::Error;

/// `SGD_SM4_ECB` (GM/T 0006).
const SGD_SM4_ECB: u32 = 0x0000_0401;

/// The envelope as the `skf` crate passes it to the library.
fn skf_envelope(envelope: &KeyEnvelope) -> EnvelopedKey {
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    x.copy_from_slice(&envelope.public_key[1..33]);
    y.copy_from_slice(&envelope.public_key[33..65]);
    let mut encrypted_private_key = [0u8; 64];
    encrypted_private_key[32..].copy_from_slice(&envelope.encrypted_private_key);
    let wrapped = &envelope.wrapped_key;
    EnvelopedKey {
        version: 1,
        symmetric_algorithm: SGD_SM4_ECB,
        bits: 256,
        encrypted_private_key,
        public_key: Sm2PublicKey { x, y },
        wrapped_key: EccCipher {
            x: wrapped.x,
            y: wrapped.y,
            hash: wrapped.hash,
            cipher: wrapped.cipher.clone(),
        },
    }
}

impl SkfToken {
    /// Imports the encryption key pair `envelope` and its certificate into
    /// the container of `id`. A container already holding this certificate
    /// is left as it is (a rerun).
    pub fn import_encryption(
        &self,
        id: &[u8],
        envelope: &KeyEnvelope,
        cert_der: &[u8],
    ) -> Result<(), Error> {
        let (name, key, cert) = (container_of(id), skf_envelope(envelope), cert_der.to_vec());
        self.on_app(move |app| {
            let container = app.open_container(&name)?;
            if container.export_certificate(false)?.as_deref() == Some(cert.as_slice()) {
                return Ok(());
            }
            container.import_enveloped_key(&key)?;
            container.import_certificate(false, &cert)
        })
    }

    /// Decrypts inside the key with the encryption private key of the
    /// container of `id` (`SKF_ECCPrvKeyDecrypt`).
    pub fn decrypt(&self, id: &[u8], cipher: &Sm2Cipher) -> Result<Vec<u8>, Error> {
        let name = container_of(id);
        let cipher = EccCipher {
            x: cipher.x,
            y: cipher.y,
            hash: cipher.hash,
            cipher: cipher.cipher.clone(),
        };
        self.on_app(move |app| app.open_container(&name)?.decrypt(&cipher))
    }

    /// The encryption certificate in the container of `id`, if any.
    pub fn encryption_certificate(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let name = container_of(id);
        self.on_app(move |app| {
            if !app.containers()?.contains(&name) {
                return Ok(None);
            }
            app.open_container(&name)?.export_certificate(false)
        })
    }
}
