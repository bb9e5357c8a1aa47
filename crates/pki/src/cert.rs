//! Building a certificate in two halves, so the to-be-signed bytes can be stored
//! before any signature exists (Boulder's issuance cycle): `TbsTemplate::encode`
//! makes the TBSCertificate, `derw::signed` puts it together with a signature.

use der::asn1::{Any, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Decode, Encode};
use domain::Serial;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Version;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use crate::{PkiError, asn1time, oids};

/// RFC 5280 TBSCertificate, v3, without unique identifiers (which CAs must not
/// generate). Our own struct because x509-cert keeps its fields private.
#[derive(der::Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

pub struct TbsTemplate {
    pub serial: Serial,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub issuer: Name,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    pub subject: Name,
    pub spki: SubjectPublicKeyInfoOwned,
    pub extensions: Vec<Extension>,
}

impl TbsTemplate {
    pub fn encode(self) -> Result<Vec<u8>, PkiError> {
        let tbs = Tbs {
            version: Version::V3,
            serial_number: SerialNumber::new(&self.serial.der_integer_bytes())?,
            signature: self.signature_algorithm,
            issuer: self.issuer,
            validity: Validity::new(
                asn1time::x509_time(self.not_before_ms)?,
                asn1time::x509_time(self.not_after_ms)?,
            ),
            subject: self.subject,
            subject_public_key_info: self.spki,
            extensions: Some(self.extensions),
        };
        Ok(tbs.to_der()?)
    }
}

/// A distinguished name from (attribute, value) pairs, one per RDN, in order.
/// countryName is a PrintableString (X.520); everything else UTF8String, so
/// Chinese names come through as typed.
pub fn name(attrs: &[(ObjectIdentifier, &str)]) -> Result<Name, PkiError> {
    let mut seq = RdnSequence::default();
    for (oid, value) in attrs {
        let value = if *oid == oids::AT_COUNTRY {
            Any::encode_from(&PrintableStringRef::new(value)?)?
        } else {
            Any::encode_from(&Utf8StringRef::new(value)?)?
        };
        let atv = AttributeTypeAndValue { oid: *oid, value };
        let mut set = SetOfVec::new();
        set.insert(atv)?;
        seq.push(RelativeDistinguishedName::from(set));
    }
    Ok(Name::from_der(&seq.to_der()?)?)
}

/// Certificates for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::signer::Signer;

    /// A self-signed certificate of `key` for `cn`, with no extensions.
    pub fn self_signed(key: &dyn Signer, cn: &str) -> Vec<u8> {
        let name = name(&[(oids::AT_COMMON_NAME, cn)]).unwrap();
        let tbs = TbsTemplate {
            serial: Serial::parse("0102030405").unwrap(),
            signature_algorithm: key.algorithm().signature_algorithm(),
            issuer: name.clone(),
            not_before_ms: 1_700_000_000_000,
            not_after_ms: 1_900_000_000_000,
            subject: name,
            spki: SubjectPublicKeyInfoOwned::from_der(key.spki_der()).unwrap(),
            extensions: Vec::new(),
        }
        .encode()
        .unwrap();
        let signature = key.sign(&tbs).unwrap();
        crate::derw::signed(&tbs, &key.algorithm().signature_algorithm_der(), &signature)
    }
}
