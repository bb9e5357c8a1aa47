//! Proof of possession: what the hand-off and every call of the assistant
//! rest on. A challenge is its expiry and 16 random bytes, MACed with the
//! installation's challenge key (nothing is stored when one is handed out);
//! the caller signs a message naming the challenge and the purpose with the
//! key inside the token and sends the certificate with the signature;
//! `Ra::prove` checks the certificate is ours and acceptable, the signature
//! verifies with its key, and uses the challenge up.

use aws_lc_rs::hmac;
use base64::Engine;
use der::{Decode, DecodePem, Encode};
use domain::{RevocationReason, Serial};
use spki::AlgorithmIdentifierOwned;
use store::certificates::CertificateRow;
use x509_cert::Certificate;

use crate::{Msg, Ra, RaError, random};

fn refused(why: &'static str) -> RaError {
    RaError::Handoff(Msg::new(why))
}

/// Which certificates a proof may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Ours, in its validity period, not revoked.
    Valid,
    /// Ours, in its validity period or past it, not revoked unless as
    /// superseded (the old certificate of a change whose new certificate was
    /// issued but perhaps not yet written): the key still proves who holds it,
    /// and 在线延期 serves certificates up to a year past their end (its window
    /// is checked where the business starts).
    Unrevoked,
}

/// A certificate as presented in a proof (PEM or DER): parsed, its serial,
/// and its DER as we would have issued it. What a stranger's proof reaches
/// first; fuzzed (`fuzz/fuzz_targets/handoff_proof.rs`).
pub fn read_certificate(certificate: &[u8]) -> Result<(Certificate, Serial, Vec<u8>), RaError> {
    let trimmed = certificate.trim_ascii_start();
    let cert = if trimmed.starts_with(b"-----BEGIN") {
        Certificate::from_pem(trimmed)
    } else {
        Certificate::from_der(certificate)
    }
    .map_err(|_| refused("证书格式不正确"))?;
    let serial = Serial::from_der_integer(cert.tbs_certificate().serial_number().as_bytes())
        .map_err(|_| refused("证书序列号不正确"))?;
    let der = cert.to_der().map_err(|_| refused("证书格式不正确"))?;
    Ok((cert, serial, der))
}

/// The signature algorithm a proof by this kind of key uses.
pub(crate) fn proof_algorithm(kind: ca::verify::PublicKeyKind) -> AlgorithmIdentifierOwned {
    use ca::oids;
    use ca::verify::PublicKeyKind as K;
    match kind {
        K::P256 => AlgorithmIdentifierOwned {
            oid: oids::ECDSA_WITH_SHA256,
            parameters: None,
        },
        K::P384 => AlgorithmIdentifierOwned {
            oid: oids::ECDSA_WITH_SHA384,
            parameters: None,
        },
        K::Rsa { .. } => AlgorithmIdentifierOwned {
            oid: oids::SHA256_WITH_RSA,
            parameters: Some(der::asn1::Null.into()),
        },
        K::Sm2 => AlgorithmIdentifierOwned {
            oid: oids::SM3_WITH_SM2,
            parameters: None,
        },
    }
}

/// Expiry (8 bytes, big-endian ms) and randomness (16 bytes) of a challenge…
const BODY: usize = 24;
/// …then the first 16 bytes of its HMAC-SHA256.
const TAG: usize = 16;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn challenge_tag(key: &[u8; 32], body: &[u8]) -> [u8; TAG] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"certhall-handoff-challenge");
    ctx.update(body);
    let mut tag = [0u8; TAG];
    tag.copy_from_slice(&ctx.sign().as_ref()[..TAG]);
    tag
}

/// A challenge made with `key` that expires at `expires_at_ms`.
pub(crate) fn mint(key: &[u8; 32], expires_at_ms: i64) -> String {
    let mut raw = [0u8; BODY + TAG];
    raw[..8].copy_from_slice(&expires_at_ms.to_be_bytes());
    raw[8..BODY].copy_from_slice(&random::bytes::<16>());
    let tag = challenge_tag(key, &raw[..BODY]);
    raw[BODY..].copy_from_slice(&tag);
    B64.encode(raw)
}

/// The expiry of a challenge this installation made and that has not expired.
pub fn challenge_expiry(key: &[u8; 32], nonce: &str, now: i64) -> Option<i64> {
    // 40 bytes are 54 characters: anything longer is not ours (and not decoded).
    if nonce.len() > 54 {
        return None;
    }
    let raw = B64.decode(nonce).ok()?;
    if raw.len() != BODY + TAG {
        return None;
    }
    let (body, tag) = raw.split_at(BODY);
    let expected = challenge_tag(key, body);
    // Constant time: the tag is a MAC.
    let same = tag
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0;
    let expires = i64::from_be_bytes(body[..8].try_into().ok()?);
    (same && expires > now).then_some(expires)
}

impl Ra {
    /// Checks a proof: the certificate is ours (byte for byte), acceptable, and
    /// `signature` over `message` verifies with its key; then uses up the
    /// challenge. Nothing is stored unless every check passes. The hand-off
    /// and every call of the assistant go through here.
    pub(crate) async fn prove(
        &self,
        certificate: &[u8],
        nonce: &str,
        message: &[u8],
        signature: &[u8],
        accept: Accept,
    ) -> Result<CertificateRow, RaError> {
        let (row, expires_at) = self
            .check_proof(certificate, nonce, message, signature, accept)
            .await?;
        self.use_challenge(nonce, expires_at).await?;
        Ok(row)
    }

    /// Uses up a challenge `check_proof` accepted (once: a second use is
    /// refused), for a call that checks more before it acts.
    pub(crate) async fn use_challenge(&self, nonce: &str, expires_at: i64) -> Result<(), RaError> {
        let now = self.now_ms();
        if !store::handoff::use_challenge(&mut *self.db.conn().await?, nonce, now, expires_at)
            .await?
        {
            return Err(refused("挑战码无效、已过期或已使用，请重新发起"));
        }
        Ok(())
    }

    /// Checks a proof as `prove` does, without using up its challenge: for
    /// reads (a `GET` changes nothing; a proof replayed within its challenge's
    /// minutes reads the same again). Returns the certificate's row and when
    /// the challenge expires.
    pub(crate) async fn check_proof(
        &self,
        certificate: &[u8],
        nonce: &str,
        message: &[u8],
        signature: &[u8],
        accept: Accept,
    ) -> Result<(CertificateRow, i64), RaError> {
        let now = self.now_ms();
        let (cert, serial, der) = read_certificate(certificate)?;
        let mut conn = self.db.conn().await?;
        let row = store::certificates::by_serial(&mut conn, &serial.to_hex())
            .await?
            .filter(|r| r.cert_der.as_deref() == Some(der.as_slice()))
            .ok_or_else(|| refused("该证书不是本 CA 签发的证书"))?;
        if row.revoked_at.is_some() {
            let superseded =
                row.revocation_reason == Some(i64::from(RevocationReason::Superseded.code()));
            if !(accept == Accept::Unrevoked && superseded) {
                return Err(refused("该证书已被吊销，不能办理此业务"));
            }
        }
        let expired = row.not_after <= now;
        if row.not_before > now || (expired && accept != Accept::Unrevoked) {
            return Err(refused("该证书不在有效期内"));
        }
        let Some(expires_at) = challenge_expiry(self.secrets.challenge_key(), nonce, now) else {
            return Err(refused("挑战码无效、已过期或已使用，请重新发起"));
        };
        let spki = cert.tbs_certificate().subject_public_key_info();
        let kind = ca::verify::classify(spki)?;
        ca::verify::verify(spki, &proof_algorithm(kind), message, signature)
            .map_err(|_| refused("签名验证失败：不是由该证书的私钥签名"))?;
        Ok((row, expires_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    #[test]
    fn a_challenge_is_good_until_it_expires_and_only_with_its_key() {
        let nonce = mint(&KEY, 1_000);
        assert_eq!(challenge_expiry(&KEY, &nonce, 999), Some(1_000));
        assert_eq!(challenge_expiry(&KEY, &nonce, 1_000), None, "expired");
        assert_eq!(challenge_expiry(&[8; 32], &nonce, 0), None, "another key");
        // A changed expiry breaks the tag.
        let mut raw = B64.decode(&nonce).unwrap();
        raw[7] ^= 1;
        assert_eq!(challenge_expiry(&KEY, &B64.encode(raw), 0), None);
        for bad in ["", "x", &"A".repeat(54), &format!("{nonce}A"), "../../etc"] {
            assert_eq!(challenge_expiry(&KEY, bad, 0), None, "{bad}");
        }
    }
}
