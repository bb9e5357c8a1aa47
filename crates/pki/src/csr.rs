//! Certificate signing requests: parsed, their self-signature checked (proof that
//! the requester holds the key), their key held to our policy. Nothing else is
//! taken from a CSR: the subject comes from the approved application.

use der::{Decode, DecodePem};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::request::CertReq;

use crate::verify::{self, PublicKeyKind};
use crate::{KeyAlgorithm, PkiError, tlv};

#[derive(Debug, Clone)]
pub struct CheckedCsr {
    pub spki: SubjectPublicKeyInfoOwned,
    pub kind: PublicKeyKind,
}

/// Accepts PEM (`CERTIFICATE REQUEST`) or DER.
pub fn check(
    input: &[u8],
    ca_algorithm: KeyAlgorithm,
    allow_sm2_under_non_sm2: bool,
) -> Result<CheckedCsr, PkiError> {
    let trimmed = input.trim_ascii_start();
    let der_bytes;
    let (req, raw): (CertReq, &[u8]) = if trimmed.starts_with(b"-----BEGIN") {
        let req = CertReq::from_pem(trimmed)
            .map_err(|e| PkiError::MalformedCsr(format!("not a PEM certificate request ({e})")))?;
        der_bytes = der::Encode::to_der(&req)?;
        (req, &der_bytes)
    } else {
        let req = CertReq::from_der(input)
            .map_err(|e| PkiError::MalformedCsr(format!("not a DER certificate request ({e})")))?;
        (req, input)
    };
    let info = tlv::first_element(raw)
        .ok_or_else(|| PkiError::MalformedCsr("truncated certification request info".into()))?;
    let kind = verify::classify(&req.info.public_key)?;
    let signature = req
        .signature
        .as_bytes()
        .ok_or_else(|| PkiError::MalformedCsr("the signature has unused bits".into()))?;
    match verify::verify(&req.info.public_key, &req.algorithm, info, signature) {
        Err(PkiError::CsrSignature) => return Err(PkiError::CsrSignature),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    if kind == PublicKeyKind::Sm2 && !ca_algorithm.is_sm2() && !allow_sm2_under_non_sm2 {
        return Err(PkiError::KeyPolicy(format!(
            "an SM2 key cannot be certified by this {ca_algorithm} CA (set \
             ca.allow_sm2_keys_under_non_sm2_ca to allow it)"
        )));
    }
    Ok(CheckedCsr {
        spki: verify::canonical(req.info.public_key)?,
        kind,
    })
}
