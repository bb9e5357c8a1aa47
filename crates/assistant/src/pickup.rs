//! 在线新办 and 在线补办: writing the certificate of an approved application into
//! a key that holds none of ours yet (the holder's own blank key, or the key
//! the operator is about to mail). The 写入码 from 个人中心 or the review desk
//! stands in for the proof an old key would give:
//!
//! 1. a key pair under a CKA_ID derived from the code (a rerun with the same
//!    code finds it again and the server, replaying by application, returns
//!    the same certificate);
//! 2. a CSR signed by it, sent with the code;
//! 3. the certificate, checked against the key, written next to it;
//! 4. 在线补办: the seal the lost key held, fetched with the new key's proof,
//!    and, when the holder asked, the earlier encryption keys (`earlier`);
//! 5. completion reported, proved by the new key.

use crate::change::{PENDING_PREFIX, checkpoint, key_id_for, write_issued};
use crate::client::Client;
use crate::error::Error;
use crate::token::{KeyKind, Token};

/// How a pickup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedUp {
    pub application_id: String,
    pub serial: String,
    /// `COMPLETED`, or `APPROVED` when the key is mailed next.
    pub state: String,
    /// 双证书: the serial of the encryption certificate written with it.
    pub encryption_serial: Option<String>,
    /// 在线补办 of a 双证书: the earlier encryption certificates whose keys
    /// came back into the key.
    pub earlier_serials: Vec<String>,
}

/// The code as the server reads it: the key's CKA_ID does not depend on how it
/// was typed.
fn canonical(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn run(token: &Token, client: &Client, code: &str, kind: KeyKind) -> Result<PickedUp, Error> {
    let canonical = canonical(code);
    if canonical.len() != 20 {
        return Err(Error::Usage(
            "写入码应为 20 位字母和数字（如 ABCD-EFGH-JKMN-PQRS-TVWX）".into(),
        ));
    }
    let id = key_id_for(&format!("pickup:{canonical}"));
    let (key, made_now) = match token.key_by_id(&id)? {
        Some(k) => (k, false),
        None => (
            token.generate(kind, &id, &format!("{PENDING_PREFIX}pickup"))?,
            true,
        ),
    };
    checkpoint("keygen");
    let csr = crate::csr::build(token, &key, "certhall-assistant")?;
    let issued = match client.pickup(code, &csr) {
        Ok(issued) => issued,
        Err(e @ Error::Refused(_)) => {
            // Nothing was certified for a key made just now: leave the token
            // as it was.
            if made_now {
                token.delete_id(&id)?;
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    checkpoint("issue");
    let new = write_issued(token, &key, &issued)?;
    // 在线补办: the seal of the lost key, before completion, so a stop in
    // between is finished by a rerun with the same code.
    crate::seal::carry_current(token, client, &new)?;
    checkpoint("seal");
    let earlier_serials = if issued.encryption.is_some() {
        crate::earlier::restore(token, client, &new)?
    } else {
        Vec::new()
    };
    let state = client.complete(&new)?;
    Ok(PickedUp {
        encryption_serial: issued.encryption.as_ref().map(|e| e.serial.clone()),
        earlier_serials,
        application_id: issued.application_id,
        serial: issued.serial,
        state,
    })
}
