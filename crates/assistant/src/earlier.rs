//! 在线补办 with the earlier encryption keys back (GM/T 0034 §12.4): when the
//! holder asked for them on the 补办 form, each earlier encryption key goes
//! into a container of its own in the new key. An SKF container has one
//! encryption slot, and `SKF_ImportECCKeyPair` opens the KMC's envelope with
//! the container's own signing key, so for each earlier key:
//!
//! 1. an SM2 key pair is made in a container named after that key's
//!    certificate (a rerun finds it again);
//! 2. its public key is sent, proved by the new certificate; the KMC
//!    envelopes the escrowed key to it (the same key asked again is the
//!    same task, so a rerun gets the same envelope);
//! 3. the envelope and the old encryption certificate are imported into
//!    that container.
//!
//! `decrypt` then tries these containers after the current certificate's.

use crate::change::{Holder, checkpoint, key_id_for};
use crate::client::Client;
use crate::error::Error;
use crate::token::{KeyKind, Token};

/// The serials of the earlier encryption certificates now in the key (those
/// already there from an earlier run included).
pub fn restore(token: &Token, client: &Client, new: &Holder<'_>) -> Result<Vec<String>, Error> {
    let keys = client.earlier_keys(new)?;
    let mut restored = Vec::with_capacity(keys.len());
    for earlier in keys {
        let (_, cert) = der::pem::decode_vec(earlier.certificate_pem.as_bytes())
            .map_err(|_| Error::Server("服务器返回的原加密证书格式不正确".into()))?;
        let id = key_id_for(&format!("earlier:{}", earlier.serial));
        if token.encryption_certificate(&id)?.as_deref() == Some(cert.as_slice()) {
            restored.push(earlier.serial);
            continue;
        }
        let key = match token.key_by_id(&id)? {
            Some(key) => key,
            None => token.generate(KeyKind::Sm2, &id, "certhall-earlier")?,
        };
        let public = token.public_spki(&key)?;
        let pair = client.restore_earlier_key(new, &earlier.serial, &public)?;
        if pair.serial != earlier.serial || pair.certificate_pem != earlier.certificate_pem {
            return Err(Error::Server(
                "服务器返回的原加密证书与所列的不一致，未写入".into(),
            ));
        }
        crate::pair::import_pair(token, &key, &pair).map_err(|e| match e {
            Error::Token(why) => Error::Server(format!(
                "原加密密钥未能导入证书介质（{why}）；新证书已写入，可再次运行以取回"
            )),
            other => other,
        })?;
        checkpoint("earlier");
        restored.push(earlier.serial);
    }
    Ok(restored)
}

/// The earlier encryption certificates in the key (DER): containers with an
/// encryption certificate and no signing one (needs the login).
pub fn in_key(token: &Token) -> Result<Vec<Vec<u8>>, Error> {
    let current: Vec<Vec<u8>> = token.certificates()?.into_iter().map(|c| c.id).collect();
    let mut out = Vec::new();
    for key in token.keys()? {
        if current.contains(&key.id) {
            continue;
        }
        out.extend(token.encryption_certificate(&key.id)?);
    }
    Ok(out)
}
