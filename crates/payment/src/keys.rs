//! RSA keys as the gateways hand them out: a PKCS#8 private key (PEM or base64
//! DER, as Alipay's key tool writes it) and a public key as SubjectPublicKeyInfo.
//! SHA256withRSA (PKCS#1 v1.5) signs and verifies; with aws-lc-rs, constant time.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use der::Decode;

use crate::PaymentError;

fn der_of(text: &str) -> Result<Vec<u8>, PaymentError> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        der::pem::decode_vec(t.as_bytes())
            .map(|(_, d)| d)
            .map_err(|e| PaymentError::Key(format!("not PEM: {e}")))
    } else {
        let compact: String = t.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| PaymentError::Key("neither PEM nor base64".into()))
    }
}

/// A merchant's (or, in the sandbox, a gateway's) private key.
pub struct PrivateKey(RsaKeyPair);

impl PrivateKey {
    pub fn from_text(text: &str) -> Result<Self, PaymentError> {
        let der = der_of(text)?;
        RsaKeyPair::from_pkcs8(&der)
            .map(PrivateKey)
            .map_err(|e| PaymentError::Key(format!("not an RSA PKCS#8 key: {e}")))
    }

    /// A fresh RSA-2048 key (the sandbox's own), with its PKCS#8 PEM.
    pub fn generate() -> Result<(Self, String), PaymentError> {
        let kp = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| PaymentError::Key("keygen".into()))?;
        let der = kp
            .as_der()
            .map_err(|_| PaymentError::Key("encode".into()))?;
        let pem = pem("PRIVATE KEY", der.as_ref());
        Ok((PrivateKey(kp), pem))
    }

    /// The public half as SPKI PEM.
    pub fn public_pem(&self) -> Result<String, PaymentError> {
        use aws_lc_rs::signature::KeyPair;
        let der = self
            .0
            .public_key()
            .as_der()
            .map_err(|_| PaymentError::Key("encode".into()))?;
        Ok(pem("PUBLIC KEY", der.as_ref()))
    }

    /// SHA256withRSA, base64.
    pub fn sign_base64(&self, message: &[u8]) -> Result<String, PaymentError> {
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| PaymentError::Key("signing failed".into()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sig))
    }
}

/// A gateway's (or a merchant's) public key.
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    pub fn from_text(text: &str) -> Result<Self, PaymentError> {
        let der = der_of(text)?;
        let spki = spki::SubjectPublicKeyInfoRef::from_der(&der)
            .map_err(|e| PaymentError::Key(format!("not a public key: {e}")))?;
        Ok(PublicKey(spki.subject_public_key.raw_bytes().to_vec()))
    }

    /// Checks a base64 SHA256withRSA signature.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> Result<(), PaymentError> {
        let sig = base64::engine::general_purpose::STANDARD
            .decode(signature_b64.trim())
            .map_err(|_| PaymentError::Signature)?;
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.0)
            .verify(message, &sig)
            .map_err(|_| PaymentError::Signature)
    }
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // Base64 is ASCII: each byte is its character.
        out.extend(chunk.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
