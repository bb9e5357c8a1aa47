//! `SM2EnvelopedKey` (GB/T 35276-2017 §7.4; GM/T 0092 reuses it for a
//! CSR's answer), the DER form of the envelope for clients other than a USB
//! key:
//!
//! ```asn1
//! SM2EnvelopedKey ::= SEQUENCE {
//!   symAlgID               AlgorithmIdentifier,  -- sm4-ecb, NULL
//!   symEncryptedKey        SM2Cipher,            -- the SM4 key, to the holder's signing key
//!   sm2PublicKey           SM2PublicKey,         -- BIT STRING 04 ‖ X ‖ Y
//!   sm2EncryptedPrivateKey BIT STRING }          -- SM4-ECB of the private key
//! ```

use der::asn1::{Any, BitString, Null};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;

use super::{KeyEnvelope, Sm2Cipher, bad};
use crate::{PkiError, oids};

#[derive(Sequence)]
struct Sm2EnvelopedKeyDer {
    sym_alg_id: AlgorithmIdentifierOwned,
    sym_encrypted_key: Any,
    sm2_public_key: BitString,
    sm2_encrypted_private_key: BitString,
}

impl KeyEnvelope {
    /// The DER `SM2EnvelopedKey`.
    pub fn to_sm2_enveloped_key(&self) -> Result<Vec<u8>, PkiError> {
        Ok(Sm2EnvelopedKeyDer {
            sym_alg_id: AlgorithmIdentifierOwned {
                oid: oids::SM4_ECB,
                parameters: Some(Null.into()),
            },
            sym_encrypted_key: Any::from_der(&self.wrapped_key.to_der()?)?,
            sm2_public_key: BitString::from_bytes(&self.public_key)?,
            sm2_encrypted_private_key: BitString::from_bytes(&self.encrypted_private_key)?,
        }
        .to_der()?)
    }

    /// Reads a DER `SM2EnvelopedKey` whose key is SM4-ECB encrypted.
    pub fn from_sm2_enveloped_key(der: &[u8]) -> Result<Self, PkiError> {
        let parsed = Sm2EnvelopedKeyDer::from_der(der)
            .map_err(|e| bad(&format!("SM2EnvelopedKey is not DER: {e}")))?;
        if parsed.sym_alg_id.oid != oids::SM4_ECB {
            return Err(bad("the private key is not SM4-ECB encrypted"));
        }
        let public_key: [u8; 65] = parsed
            .sm2_public_key
            .as_bytes()
            .and_then(|b| b.try_into().ok())
            .filter(|b: &[u8; 65]| b[0] == 0x04)
            .ok_or_else(|| bad("sm2PublicKey is not an uncompressed SM2 point"))?;
        let encrypted_private_key: [u8; 32] = parsed
            .sm2_encrypted_private_key
            .as_bytes()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("sm2EncryptedPrivateKey is not 32 bytes"))?;
        Ok(KeyEnvelope {
            wrapped_key: Sm2Cipher::from_der(&parsed.sym_encrypted_key.to_der()?)?,
            public_key,
            encrypted_private_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate_sm2;
    use super::*;

    #[test]
    fn reads_back_what_it_writes() {
        let (holder, holder_point) = generate_sm2().unwrap();
        let (encryption, _) = generate_sm2().unwrap();
        let envelope = KeyEnvelope::seal(&holder_point, &encryption).unwrap();
        let der = envelope.to_sm2_enveloped_key().unwrap();
        let again = KeyEnvelope::from_sm2_enveloped_key(&der).unwrap();
        assert_eq!(again, envelope);
        assert_eq!(*again.open(&holder).unwrap(), *encryption);
        assert!(KeyEnvelope::from_sm2_enveloped_key(&der[..der.len() - 1]).is_err());
    }
}
