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

use domain::{Business, Serial};
use store::handoff::LinkRow;

use crate::proof::mint;
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

fn refused(why: &'static str) -> RaError {
    RaError::Handoff(Msg::new(why))
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
                    crate::proof::Accept::Unrevoked
                } else {
                    crate::proof::Accept::Valid
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
