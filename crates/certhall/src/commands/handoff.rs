//! `certhall handoff`: does what the certificate assistant does to open the
//! portal's 基本信息 form, with a key in a file instead of a USB key: asks the
//! server for a challenge, signs it with the certificate's key, and prints the
//! single-use link. For trying the portal before the assistant is installed, and
//! for integrators testing their own assistant.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use sm2::pkcs8::DecodePrivateKey;

use crate::AppError;
use crate::config::Settings;
use crate::setup;

fn read(path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|e| AppError::file("cannot read", path, e))
}

/// Signs with a PKCS#8 key (PEM or DER): P-256, RSA or SM2.
fn sign(key_file: &[u8], message: &[u8]) -> Result<Vec<u8>, AppError> {
    let der = match der::pem::decode_vec(key_file) {
        Ok((_, der)) => der,
        Err(_) => key_file.to_vec(),
    };
    let rng = SystemRandom::new();
    if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der) {
        return k
            .sign(&rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| AppError::Input("signing failed".into()));
    }
    if let Ok(k) = RsaKeyPair::from_pkcs8(&der) {
        let mut sig = vec![0u8; k.public_modulus_len()];
        k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|_| AppError::Input("signing failed".into()))?;
        return Ok(sig);
    }
    if let Ok(secret) = sm2::SecretKey::from_pkcs8_der(&der) {
        use sm2::dsa::signature::Signer;
        let key = sm2::dsa::SigningKey::new(ca::verify::SM2_DIST_ID, &secret)
            .map_err(|_| AppError::Input("bad SM2 key".into()))?;
        let sig: sm2::dsa::Signature = key
            .try_sign(message)
            .map_err(|_| AppError::Input("signing failed".into()))?;
        return Ok(sig.to_der().as_bytes().to_vec());
    }
    Err(AppError::Input(
        "--key must be an unencrypted PKCS#8 private key (P-256, RSA or SM2), as `openssl genpkey` writes".into(),
    ))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, AppError> {
    let mut req = client.post(url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| AppError::Input(format!("cannot reach {url}: {e}")))?;
    let status = resp.status();
    let json: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| AppError::Input(format!("{url} answered {status} without JSON: {e}")))?;
    if !status.is_success() {
        let why = json["error"].as_str().unwrap_or("refused");
        return Err(AppError::Input(format!(
            "the server refused the hand-off: {why}"
        )));
    }
    Ok(json)
}

pub async fn run(
    settings: &Settings,
    cert: &Path,
    key: &Path,
    business: &str,
) -> Result<(), AppError> {
    let server = setup::public_url(settings, settings.listen);
    let certificate = String::from_utf8(read(cert)?)
        .map_err(|_| AppError::Input("--cert must be a PEM certificate".into()))?;
    let key = read(key)?;
    let client = reqwest::Client::new();
    let challenge = post(&client, &format!("{server}/api/v1/handoff/challenge"), None).await?;
    let (Some(nonce), Some(text)) = (challenge["nonce"].as_str(), challenge["sign"].as_str())
    else {
        return Err(AppError::Input(
            "the server's challenge is malformed".into(),
        ));
    };
    let signature = base64::engine::general_purpose::STANDARD.encode(sign(&key, text.as_bytes())?);
    let link = post(
        &client,
        &format!("{server}/api/v1/handoff"),
        Some(serde_json::json!({
            "certificate": certificate,
            "nonce": nonce,
            "signature": signature,
            "business": business,
        })),
    )
    .await?;
    println!("{}", link["url"].as_str().unwrap_or_default());
    eprintln!("open the link in a browser within 5 minutes; it works once");
    Ok(())
}
