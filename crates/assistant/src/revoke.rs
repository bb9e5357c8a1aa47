//! 注销 from the key: proved by the certificate's key, the code is texted to
//! the mobile of the account the certificate belongs to; the reason (signed
//! with the key) and that code then confirm it. The server decides whether a
//! reviewer looks first; either way the certificate's revocation cannot be
//! undone, which the window says before the holder confirms.

use crate::change::{Holder, candidates};
use crate::client::Client;
use crate::error::Error;
use crate::token::Token;

pub use api::RevokeRequest;

/// The reasons a holder may give, in the portal form's words.
pub const REASONS: [(&str, &str); 3] = [
    ("keyCompromise", "密钥泄露或 U 盾丢失"),
    ("affiliationChanged", "单位或持有人信息变更"),
    ("cessationOfOperation", "不再使用"),
];

/// How a confirmed 注销 stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now: CRL and OCSP already say so.
    Now,
    /// Submitted: a reviewer approves it first.
    Waiting { state_label: String },
}

/// The token's valid certificate: the one 注销 is for.
fn valid<'a>(token: &'a Token, client: &Client) -> Result<Holder<'a>, Error> {
    for h in candidates(token, None)? {
        if client.status(&h)?.status == "valid" {
            return Ok(h);
        }
    }
    Err(Error::Usage("证书介质中没有有效的证书，无需注销".into()))
}

/// Step 1: the code sent; returns the mobile it went to, masked.
pub fn send_code(token: &Token, client: &Client) -> Result<String, Error> {
    client.revoke_code(&valid(token, client)?)
}

/// Step 2: the reason and the code.
pub fn confirm(token: &Token, client: &Client, form: &RevokeRequest) -> Result<Revoked, Error> {
    let done = client.revoke(&valid(token, client)?, form)?;
    Ok(if done.state == "COMPLETED" {
        Revoked::Now
    } else {
        Revoked::Waiting {
            state_label: done.state_label,
        }
    })
}
