//! 签章变更 from the assistant. With no application for the certificate it
//! proves possession and opens the form; with one under way it says where it
//! stands; once approved it fetches the approved seal (proved by the
//! certificate's key), checks it against its SHA-256, writes it into the token
//! as the certificate's seal data object, and reports it written: 已完成.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::change::{Holder, candidates};
use crate::client::Client;
use crate::error::Error;
use crate::token::Token;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealOutcome {
    /// No application yet: the single-use link to the form.
    Opened { url: String },
    /// An application is under way.
    Pending { state_label: String },
    /// The approved seal is in the token.
    Written {
        application_id: String,
        bytes: usize,
    },
}

const FINISHED: [&str; 4] = ["COMPLETED", "CANCELLED", "REJECTED", "REFUNDED"];

pub fn run(token: &Token, client: &Client, serial: Option<&str>) -> Result<SealOutcome, Error> {
    let mut valid: Vec<Holder<'_>> = Vec::new();
    for h in candidates(token, serial)? {
        let st = client.status(&h)?;
        if st.status != "valid" {
            continue;
        }
        if let Some(app) = st
            .applications
            .iter()
            .find(|a| a.business == "seal" && !FINISHED.contains(&a.state.as_str()))
        {
            if app.state != "APPROVED" {
                return Ok(SealOutcome::Pending {
                    state_label: app.state_label.clone(),
                });
            }
            return write(token, client, &h);
        }
        valid.push(h);
    }
    let h = valid
        .first()
        .ok_or_else(|| Error::Usage("证书介质中没有有效的证书（或没有指定序列号的证书）".into()))?;
    Ok(SealOutcome::Opened {
        url: client.handoff(h, "seal")?,
    })
}

/// The seal's PNG, checked against the SHA-256 it was approved with: what is
/// written is what was approved, byte for byte.
fn checked_png(seal: &crate::client::Seal) -> Result<Vec<u8>, Error> {
    let png = base64::engine::general_purpose::STANDARD
        .decode(seal.png.trim())
        .map_err(|_| Error::Server("服务器返回的印章格式不正确".into()))?;
    if hex::encode(Sha256::digest(&png)) != seal.sha256 || !png.starts_with(b"\x89PNG") {
        return Err(Error::Server(
            "服务器返回的印章与审核通过的印章不一致，未写入".into(),
        ));
    }
    Ok(png)
}

/// 在线补办: the new key, whose certificate was just written, receives the
/// seal the lost key held (the platform keeps the current seal of every
/// certificate and carries it to the one that replaces it). Returns whether
/// there was one. Run again, it writes the same seal again.
pub fn carry_current(token: &Token, client: &Client, new: &Holder<'_>) -> Result<bool, Error> {
    let Some(seal) = client.current_seal(new)? else {
        return Ok(false);
    };
    token.write_seal(&new.cert.id, &checked_png(&seal)?)?;
    Ok(true)
}

fn write(token: &Token, client: &Client, h: &Holder<'_>) -> Result<SealOutcome, Error> {
    let seal = client.seal(h)?;
    let png = checked_png(&seal)?;
    token.write_seal(&h.cert.id, &png)?;
    crate::change::checkpoint("seal");
    client.seal_written(h, &seal.sha256)?;
    Ok(SealOutcome::Written {
        application_id: seal.application_id,
        bytes: png.len(),
    })
}
