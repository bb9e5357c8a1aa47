//! GM/T 0014's CA–KMC protocol: the messages (`messages`), and signing and
//! checking them. Each side signs the DER of its `KSRequest` / `KSRespond`
//! with its own SM2 key (SM3withSM2, signer ID 1234567812345678) and names
//! itself by its certificate (`EntName`); the other side checks the
//! signature with the certificate it was configured with, never with one the
//! message brings.

mod messages;

use der::asn1::{GeneralizedTime, Int, OctetString};
use der::{Decode, Encode};
use sm3::{Digest, Sm3};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

pub use messages::{
    AppUserInfo, ApplyKeyReq, CaRequest, EntName, ErrorPkgRespond, KmRespond, KsRequest, KsRespond,
    Request, Respond, RestoreKeyReq, RetKeyRespond, RevokeKeyReq, RevokeKeyRespond,
};

use crate::signer::Signer;
use crate::{PkiError, oids, verify};

/// The protocol version both messages carry.
pub const VERSION: u8 = 1;

fn bad(what: impl Into<String>) -> PkiError {
    PkiError::KmcMessage(what.into())
}

/// An AlgorithmIdentifier without parameters.
pub fn algorithm(oid: der::asn1::ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// A non-negative INTEGER from a u64.
pub fn int(value: u64) -> Result<Int, PkiError> {
    let bytes = value.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    let mut content = Vec::with_capacity(9);
    if bytes[start] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[start..]);
    Ok(Int::new(&content)?)
}

/// A non-negative INTEGER that fits a u64, as one; an error otherwise.
pub fn int_value(value: &Int) -> Result<u64, PkiError> {
    let bytes = value.as_bytes();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(bad("a negative number"));
    }
    let digits = match bytes {
        [0, rest @ ..] => rest,
        all => all,
    };
    if digits.len() > 8 {
        return Err(bad("a number larger than 64 bits"));
    }
    Ok(digits
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// A certificate serial (its INTEGER content) as an INTEGER.
pub fn serial_int(serial: &domain::Serial) -> Result<Int, PkiError> {
    Ok(Int::new(&serial.der_integer_bytes())?)
}

/// The hex serial (OpenSSL's form) of an INTEGER naming a certificate.
pub fn serial_hex(value: &Int) -> Result<String, PkiError> {
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes[0] & 0x80 != 0 {
        return Err(bad("a certificate number must be positive"));
    }
    let digits = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    Ok(hex::encode_upper(digits))
}

/// GeneralizedTime of unix milliseconds (whole seconds, as DER requires).
pub fn time(unix_ms: i64) -> Result<GeneralizedTime, PkiError> {
    let secs = u64::try_from(unix_ms.div_euclid(1000)).map_err(|_| bad("a time before 1970"))?;
    Ok(GeneralizedTime::from_unix_duration(
        std::time::Duration::from_secs(secs),
    )?)
}

/// Unix milliseconds of a GeneralizedTime.
pub fn time_ms(value: &GeneralizedTime) -> i64 {
    i64::try_from(value.to_unix_duration().as_millis()).unwrap_or(i64::MAX)
}

/// SM3 of a certificate's subjectPublicKey bits: how `EntName` names a key.
pub fn key_hash(cert: &Certificate) -> [u8; 32] {
    Sm3::digest(
        cert.tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes(),
    )
    .into()
}

impl EntName {
    /// The name of the holder of the DER certificate `cert_der`.
    pub fn of_certificate(cert_der: &[u8]) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(cert_der)?;
        Ok(EntName {
            hash_algorithm: algorithm(oids::SM3),
            ent_name: GeneralName::DirectoryName(cert.tbs_certificate().subject().clone()),
            ent_pub_key_hash: OctetString::new(key_hash(&cert).as_slice())?,
            serial_number: cert.tbs_certificate().serial_number().clone(),
        })
    }

    /// Whether this names the certificate `cert` (its key hash and serial).
    pub fn names(&self, cert: &Certificate) -> bool {
        self.ent_pub_key_hash.as_bytes() == key_hash(cert).as_slice()
            && &self.serial_number == cert.tbs_certificate().serial_number()
    }
}

/// The SM2 point of a certificate's key; an error if it is not SM2.
fn sm2_point(cert: &Certificate) -> Result<[u8; 65], PkiError> {
    verify::sm2_point_of_spki(&cert.tbs_certificate().subject_public_key_info().to_der()?)
}

fn signed_value(signer: &dyn Signer, der: &[u8]) -> Result<OctetString, PkiError> {
    if !signer.algorithm().is_sm2() {
        return Err(bad("GM/T 0014 messages are signed with SM2"));
    }
    Ok(OctetString::new(signer.sign(der)?)?)
}

fn check(
    cert: &Certificate,
    algorithm: &AlgorithmIdentifierOwned,
    der: &[u8],
    signature: &OctetString,
) -> Result<(), PkiError> {
    if algorithm.oid != oids::SM3_WITH_SM2 {
        return Err(bad(format!(
            "signature algorithm {} (SM3withSM2 expected)",
            algorithm.oid
        )));
    }
    if !verify::sm2_verify_default_id(&sm2_point(cert)?, der, signature.as_bytes()) {
        return Err(bad("the signature does not verify"));
    }
    Ok(())
}

impl CaRequest {
    /// Signs `ks_request` with the CA's key.
    pub fn sign(ks_request: KsRequest, signer: &dyn Signer) -> Result<Self, PkiError> {
        let signature_value = signed_value(signer, &ks_request.to_der()?)?;
        Ok(CaRequest {
            ks_request,
            signature_algorithm: algorithm(oids::SM3_WITH_SM2),
            signature_value,
        })
    }

    /// Reads a DER request, strictly.
    pub fn read(der: &[u8]) -> Result<Self, PkiError> {
        CaRequest::from_der(der).map_err(|e| bad(format!("not a DER CARequest: {e}")))
    }

    /// Checks the signature with the CA certificate it claims (`ca_cert`,
    /// which the caller found by `ks_request.ca_name`).
    pub fn verify(&self, ca_cert: &Certificate) -> Result<(), PkiError> {
        check(
            ca_cert,
            &self.signature_algorithm,
            &self.ks_request.to_der()?,
            &self.signature_value,
        )
    }
}

impl KmRespond {
    /// Signs `ks_respond` with the KMC's key.
    pub fn sign(ks_respond: KsRespond, signer: &dyn Signer) -> Result<Self, PkiError> {
        let signature_value = signed_value(signer, &ks_respond.to_der()?)?;
        Ok(KmRespond {
            ks_respond,
            signature_algorithm: algorithm(oids::SM3_WITH_SM2),
            signature_value,
        })
    }

    /// Reads a DER answer, strictly.
    pub fn read(der: &[u8]) -> Result<Self, PkiError> {
        KmRespond::from_der(der).map_err(|e| bad(format!("not a DER KMRespond: {e}")))
    }

    /// Checks that the answer is the configured KMC's (`kmc_cert`), signed by it.
    pub fn verify(&self, kmc_cert: &Certificate) -> Result<(), PkiError> {
        if !self.ks_respond.km_name.names(kmc_cert) {
            return Err(bad("the answer names another KMC"));
        }
        check(
            kmc_cert,
            &self.signature_algorithm,
            &self.ks_respond.to_der()?,
            &self.signature_value,
        )
    }
}

#[cfg(test)]
mod tests;
