//! 双证书 in the flows: under an SM2 CA the server sends, with the signing
//! certificate, the encryption certificate and its key pair from the KMC,
//! enveloped to the signing key just made. They go into the key before the
//! signing certificate, so a signing certificate in the key means its pair
//! is there too; a stop in between is finished by a rerun, which the server
//! answers with the same pair.

use base64::Engine;
use der::{Decode, Encode};
use pki::envelope::KeyEnvelope;

use api::EncryptionPair;

use crate::client::Issued;
use crate::error::Error;
use crate::token::{KeyRef, Token};

/// Imports the pair of `issued`, if it has one, next to `key`.
pub fn import(token: &Token, key: &KeyRef, issued: &Issued) -> Result<(), Error> {
    let Some(pair) = &issued.encryption else {
        return Ok(());
    };
    import_pair(token, key, pair).map_err(|e| match e {
        Error::Token(why) => Error::Server(format!(
            "加密密钥对未能导入证书介质（{why}），签名证书未写入"
        )),
        other => other,
    })
}

/// Checks an encryption certificate and its envelope belong together, and
/// imports both into the container of `key` (whose signing key the envelope
/// is for: the key itself refuses another's). A refusal by the key is an
/// `Error::Token`.
pub fn import_pair(token: &Token, key: &KeyRef, pair: &EncryptionPair) -> Result<(), Error> {
    let bad_cert = || Error::Server("服务器返回的加密证书格式不正确".into());
    let (_, cert) =
        der::pem::decode_vec(pair.certificate_pem.as_bytes()).map_err(|_| bad_cert())?;
    let spki = x509_cert::Certificate::from_der(&cert)
        .and_then(|c| c.tbs_certificate().subject_public_key_info().to_der())
        .map_err(|_| bad_cert())?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(pair.envelope.trim())
        .map_err(|_| Error::Server("服务器返回的加密密钥格式不正确".into()))?;
    let envelope = KeyEnvelope::from_skf_blob(&blob)
        .map_err(|e| Error::Server(format!("服务器返回的加密密钥格式不正确（{e}）")))?;
    if pki::verify::sm2_point_of_spki(&spki).ok() != Some(envelope.public_key) {
        return Err(Error::Server(
            "服务器返回的加密证书与加密密钥不匹配，未写入".into(),
        ));
    }
    token.import_encryption(&key.id, &envelope, &cert)
}
