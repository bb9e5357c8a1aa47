//! `SignedAndEnvelopedData` (GB/T 35275-2017 §8, the SM2 form of PKCS#7's
//! type with GM/T 0010's OIDs): how GM/T 0014's `RetKeyRespond` carries the
//! encryption private key from the KMC, signed by the KMC and enveloped to
//! the holder's signing key.
//!
//! ```asn1
//! SignedAndEnvelopedData ::= SEQUENCE {
//!   version              INTEGER (1),
//!   recipientInfos       SET OF RecipientInfo,   -- one: the holder's signing certificate
//!   digestAlgorithms     SET OF AlgorithmIdentifier,   -- sm3
//!   encryptedContentInfo EncryptedContentInfo,
//!   certificates         [0] IMPLICIT SET OF Certificate OPTIONAL,  -- the KMC's
//!   crls                 [1] IMPLICIT SET OF CertificateList OPTIONAL,
//!   signerInfos          SET OF SignerInfo }     -- one: the KMC
//! RecipientInfo ::= SEQUENCE { version INTEGER (0), issuerAndSerialNumber IssuerAndSerialNumber,
//!   keyEncryptionAlgorithm AlgorithmIdentifier (sm2-3), encryptedKey OCTET STRING (DER SM2Cipher) }
//! EncryptedContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER (data),
//!   contentEncryptionAlgorithm AlgorithmIdentifier (sm4-ecb), encryptedContent [0] IMPLICIT OCTET STRING }
//! SignerInfo ::= SEQUENCE { version INTEGER (1), issuerAndSerialNumber IssuerAndSerialNumber,
//!   digestAlgorithm AlgorithmIdentifier (sm3), digestEncryptionAlgorithm AlgorithmIdentifier (sm2-1),
//!   encryptedDigest OCTET STRING }
//! ```
//!
//! The content is the 32-byte private key, SM4-ECB encrypted under the key in
//! `encryptedKey`, as in the other two encodings. `encryptedDigest` is the
//! KMC's SM2 signature (signer ID 1234567812345678) over that private key, as
//! GmSSL writes it: it can only be checked by whoever opens the envelope.

use der::asn1::{Any, Int, Null, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence, ValueOrd};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use super::{KeyEnvelope, Sm2Cipher, bad};
use crate::signer::Signer;
use crate::{PkiError, oids};

/// Who a certificate is: its issuer's name and its serial number.
#[derive(Debug, Clone, PartialEq, Eq, Sequence, ValueOrd)]
pub struct IssuerAndSerialNumber {
    pub issuer: Name,
    pub serial_number: SerialNumber,
}

impl IssuerAndSerialNumber {
    /// The issuer and serial of a DER certificate.
    pub fn of_certificate(cert_der: &[u8]) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(cert_der)?;
        Ok(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        })
    }
}

#[derive(Sequence, ValueOrd)]
struct RecipientInfo {
    version: Int,
    issuer_and_serial_number: IssuerAndSerialNumber,
    key_encryption_algorithm: AlgorithmIdentifierOwned,
    encrypted_key: OctetString,
}

#[derive(Sequence)]
struct EncryptedContentInfo {
    content_type: ObjectIdentifier,
    content_encryption_algorithm: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    encrypted_content: Option<OctetString>,
}

#[derive(Sequence, ValueOrd)]
struct SignerInfo {
    version: Int,
    issuer_and_serial_number: IssuerAndSerialNumber,
    digest_algorithm: AlgorithmIdentifierOwned,
    digest_encryption_algorithm: AlgorithmIdentifierOwned,
    encrypted_digest: OctetString,
}

#[derive(Sequence)]
struct SignedAndEnvelopedData {
    version: Int,
    recipient_infos: SetOfVec<RecipientInfo>,
    digest_algorithms: SetOfVec<AlgorithmIdentifierOwned>,
    encrypted_content_info: EncryptedContentInfo,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    certificates: Option<SetOfVec<Any>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    crls: Option<SetOfVec<Any>>,
    signer_infos: SetOfVec<SignerInfo>,
}

/// What a `SignedAndEnvelopedData` says, before anyone opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub envelope: KeyEnvelope,
    /// The certificate the key is enveloped to (the holder's signing one).
    pub recipient: IssuerAndSerialNumber,
    /// The KMC's certificate that signed.
    pub signer: IssuerAndSerialNumber,
    /// The KMC's SM2 signature over the private key (DER).
    pub signature: Vec<u8>,
    /// The certificates it carries (the KMC's), DER.
    pub certificates: Vec<Vec<u8>>,
}

fn algorithm(oid: ObjectIdentifier, null: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null.then(|| Null.into()),
    }
}

fn small_int(value: u8) -> Result<Int, PkiError> {
    Ok(Int::new(&[value])?)
}

/// Wraps `envelope` (made for the holder named by `recipient`) into a
/// `SignedAndEnvelopedData` signed by the KMC's `signer`, whose certificate
/// is `signer_cert_der`. `private_key` is what the envelope holds: the
/// signature is over it.
pub fn seal(
    envelope: &KeyEnvelope,
    recipient: &IssuerAndSerialNumber,
    private_key: &[u8; 32],
    signer: &dyn Signer,
    signer_cert_der: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let signature = signer.sign(private_key)?;
    let recipient_info = RecipientInfo {
        version: small_int(0)?,
        issuer_and_serial_number: recipient.clone(),
        key_encryption_algorithm: algorithm(oids::SM2_ENCRYPT, false),
        encrypted_key: OctetString::new(envelope.wrapped_key.to_der()?)?,
    };
    let signer_info = SignerInfo {
        version: small_int(1)?,
        issuer_and_serial_number: IssuerAndSerialNumber::of_certificate(signer_cert_der)?,
        digest_algorithm: algorithm(oids::SM3, false),
        digest_encryption_algorithm: algorithm(oids::SM2_SIGN, false),
        encrypted_digest: OctetString::new(signature)?,
    };
    let mut certificates = SetOfVec::new();
    certificates.insert(Any::from_der(signer_cert_der)?)?;
    let data = SignedAndEnvelopedData {
        version: small_int(1)?,
        recipient_infos: SetOfVec::try_from(vec![recipient_info])?,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(oids::SM3, false)])?,
        encrypted_content_info: EncryptedContentInfo {
            content_type: oids::GM_DATA,
            content_encryption_algorithm: algorithm(oids::SM4_ECB, true),
            encrypted_content: Some(OctetString::new(envelope.encrypted_private_key.as_slice())?),
        },
        certificates: Some(certificates),
        crls: None,
        signer_infos: SetOfVec::try_from(vec![signer_info])?,
    };
    Ok(data.to_der()?)
}

/// Reads a `SignedAndEnvelopedData` of one recipient and one signer, the
/// content SM4-ECB encrypted; `public_key` (SEC1) is the enveloped pair's,
/// which GM/T 0014 sends next to it (`retPubKey`).
pub fn read(der: &[u8], public_key: &[u8; 65]) -> Result<Sealed, PkiError> {
    let data = SignedAndEnvelopedData::from_der(der)
        .map_err(|e| bad(&format!("SignedAndEnvelopedData is not DER: {e}")))?;
    let [recipient] = data.recipient_infos.as_slice() else {
        return Err(bad(
            "SignedAndEnvelopedData must have exactly one recipient",
        ));
    };
    let [signer] = data.signer_infos.as_slice() else {
        return Err(bad("SignedAndEnvelopedData must have exactly one signer"));
    };
    if recipient.key_encryption_algorithm.oid != oids::SM2_ENCRYPT {
        return Err(bad("the content key is not SM2 encrypted"));
    }
    let content = &data.encrypted_content_info;
    if content.content_encryption_algorithm.oid != oids::SM4_ECB {
        return Err(bad("the private key is not SM4-ECB encrypted"));
    }
    let encrypted_private_key: [u8; 32] = content
        .encrypted_content
        .as_ref()
        .and_then(|c| c.as_bytes().try_into().ok())
        .ok_or_else(|| bad("the encrypted content is not a 32-byte key"))?;
    let certificates = data
        .certificates
        .iter()
        .flat_map(|set| set.iter())
        .map(|any| any.to_der())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Sealed {
        envelope: KeyEnvelope {
            wrapped_key: Sm2Cipher::from_der(recipient.encrypted_key.as_bytes())?,
            public_key: *public_key,
            encrypted_private_key,
        },
        recipient: recipient.issuer_and_serial_number.clone(),
        signer: signer.issuer_and_serial_number.clone(),
        signature: signer.encrypted_digest.as_bytes().to_vec(),
        certificates,
    })
}

impl Sealed {
    /// Opens the envelope with the holder's signing private key and checks
    /// the KMC's signature over what came out with `kmc_point` (SEC1).
    pub fn open(
        &self,
        recipient_secret: &[u8; 32],
        kmc_point: &[u8],
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, PkiError> {
        let private = self.envelope.open(recipient_secret)?;
        if !crate::verify::sm2_verify_default_id(kmc_point, private.as_ref(), &self.signature) {
            return Err(bad("the KMC's signature over the key does not verify"));
        }
        Ok(private)
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate_sm2;
    use super::*;
    use crate::KeyAlgorithm;
    use crate::signer::SoftwareKey;

    fn self_signed(key: &SoftwareKey, cn: &str) -> Vec<u8> {
        crate::cert::tests_support::self_signed(key, cn)
    }

    #[test]
    fn reads_back_and_opens_with_the_kmc_signature_checked() {
        let (kmc, _) = SoftwareKey::generate(KeyAlgorithm::Sm2).unwrap();
        let kmc_cert = self_signed(&kmc, "KMC");
        let (holder, holder_point) = generate_sm2().unwrap();
        let (encryption, encryption_point) = generate_sm2().unwrap();
        let recipient = IssuerAndSerialNumber::of_certificate(&kmc_cert).unwrap();
        let envelope = KeyEnvelope::seal(&holder_point, &encryption).unwrap();
        let der = seal(&envelope, &recipient, &encryption, &kmc, &kmc_cert).unwrap();

        let sealed = read(&der, &encryption_point).unwrap();
        assert_eq!(sealed.envelope, envelope);
        assert_eq!(sealed.recipient, recipient);
        assert_eq!(sealed.certificates, vec![kmc_cert.clone()]);
        let kmc_point = crate::verify::sm2_point_of_spki(kmc.spki_der()).unwrap();
        assert_eq!(*sealed.open(&holder, &kmc_point).unwrap(), *encryption);

        let (_, stranger_point) = generate_sm2().unwrap();
        assert!(sealed.open(&holder, &stranger_point).is_err());
        assert!(read(&der[..der.len() - 2], &encryption_point).is_err());
    }
}
