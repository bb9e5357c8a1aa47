//! The assistant hands the holder over to the portal (how 图 2.8 opens).
//!
//! 1. The assistant asks for a challenge (`handoff_challenge`). A challenge is
//!    its expiry and 16 random bytes, MACed with the installation's challenge
//!    key: nothing is stored when one is handed out, so asking for challenges
//!    costs the server no rows; only a used one is remembered, until it
//!    expires, so it cannot be used twice.
//! 2. It signs `certhall-handoff:<nonce>` with the certificate's private key inside
//!    the token and sends certificate, nonce and signature (`handoff_redeem`). We
//!    check the certificate is ours, unexpired and unrevoked, and the signature
//!    verifies with its key; the challenge is then used up.
//! 3. The answer is a single-use link, valid 5 minutes, that opens the 基本信息 form
//!    of the holder who follows it, pre-filled from that certificate
//!    (`handoff_open`).

use aws_lc_rs::hmac;
use base64::Engine;
use domain::{Business, Serial};
use spki::AlgorithmIdentifierOwned;
use store::handoff::LinkRow;

use crate::{Msg, Ra, RaError, ms, random};

/// What the assistant must sign for `nonce`.
pub fn signed_message(nonce: &str) -> Vec<u8> {
    format!("certhall-handoff:{nonce}").into_bytes()
}

#[derive(Debug, Clone)]
pub struct Challenge {
    pub nonce: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub url: String,
    pub expires_at_ms: i64,
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

fn refused(why: &'static str) -> RaError {
    RaError::Handoff(Msg::new(why))
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
fn mint(key: &[u8; 32], expires_at_ms: i64) -> String {
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
    /// A fresh challenge: nothing is stored.
    pub async fn handoff_challenge(&self) -> Result<Challenge, RaError> {
        let expires_at_ms = self.now_ms() + ms(self.settings.handoff_ttl);
        Ok(Challenge {
            nonce: mint(self.secrets.challenge_key(), expires_at_ms),
            expires_at_ms,
        })
    }

    /// Verifies a proof of possession (`Ra::prove`) and returns the single-use
    /// link. Nothing is stored unless every check passes.
    pub async fn handoff_redeem(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        business: Business,
    ) -> Result<Link, RaError> {
        let row = self
            .prove(
                certificate,
                nonce,
                &signed_message(nonce),
                signature,
                // 在线延期 serves certificates past their end too (its window is
                // checked when the application starts).
                if business == Business::Renew {
                    crate::assistant::Accept::Unrevoked
                } else {
                    crate::assistant::Accept::Valid
                },
            )
            .await?;
        let now = self.now_ms();
        let token = random::token();
        let expires_at_ms = now + ms(self.settings.handoff_ttl);
        store::handoff::insert_link(
            &mut *self.db.conn().await?,
            &LinkRow {
                token_hash: random::hash(&token),
                serial: row.serial.clone(),
                business: business.key().into(),
                created_at: now,
                expires_at: expires_at_ms,
                used_at: None,
            },
        )
        .await?;
        tracing::info!(cert.serial = %row.serial, business = business.key(), "hand-off link issued");
        Ok(Link {
            url: format!(
                "{}/handoff/{token}",
                self.settings.public_url.trim_end_matches('/')
            ),
            expires_at_ms,
        })
    }

    /// Uses a hand-off link: the certificate and business it stands for.
    pub async fn handoff_open(&self, token: &str) -> Result<(Serial, Business), RaError> {
        let now = self.now_ms();
        let row = store::handoff::use_link(&mut *self.db.conn().await?, &random::hash(token), now)
            .await?
            .ok_or_else(|| refused("链接无效、已过期或已被使用，请在证书助手中重新点击"))?;
        let serial = Serial::parse(&row.serial).map_err(|_| refused("链接无效"))?;
        let business: Business = row.business.parse().map_err(|_| refused("链接无效"))?;
        Ok((serial, business))
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
