//! CA private keys at rest: PKCS#8 sealed with AES-256-GCM under a key derived from
//! the operator's passphrase with Argon2id.
//!
//! Layout: `CHK1` | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | nonce[12] |
//! ciphertext+tag. The key row's id is the associated data, so a sealed key cannot
//! be moved to another row unnoticed.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use pki::PkiError;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::CaError;

const MAGIC: &[u8; 4] = b"CHK1";
/// OWASP's Argon2id minimum (19 MiB, 2 passes): start-up stays well under a second.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const HEADER: usize = 4 + 12 + 16 + 12;

pub fn seal(passphrase: &SecretString, aad: &str, pkcs8: &[u8]) -> Result<Vec<u8>, CaError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rng.fill(&mut salt).map_err(|_| PkiError::Signing)?;
    rng.fill(&mut nonce).map_err(|_| PkiError::Signing)?;
    let key = derive(passphrase, &salt, M_COST, T_COST, P_COST)?;
    let mut out = Vec::with_capacity(HEADER + pkcs8.len() + 16);
    out.extend_from_slice(MAGIC);
    for v in [M_COST, T_COST, P_COST] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let mut body = pkcs8.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad.as_bytes()),
        &mut body,
    )
    .map_err(|_| PkiError::Signing)?;
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn open(
    passphrase: &SecretString,
    aad: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CaError> {
    if sealed.len() < HEADER + 16 || &sealed[..4] != MAGIC {
        return Err(PkiError::KeyAccess("the stored key is not in a format we know".into()).into());
    }
    // The length is checked above: the header's fields are all there.
    let u32_at =
        |i: usize| u32::from_be_bytes([sealed[i], sealed[i + 1], sealed[i + 2], sealed[i + 3]]);
    let (m, t, p) = (u32_at(4), u32_at(8), u32_at(12));
    let salt = &sealed[16..32];
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&sealed[32..44]);
    let key = derive(passphrase, salt, m, t, p)?;
    let mut body = Zeroizing::new(sealed[HEADER..].to_vec());
    let plain_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut body,
        )
        .map_err(|_| {
            PkiError::KeyAccess(
                "wrong CA key passphrase (check ca.key_passphrase / CERTHALL_CA_PASSPHRASE)".into(),
            )
        })?
        .len();
    body.truncate(plain_len);
    Ok(body)
}

fn derive(
    passphrase: &SecretString,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<LessSafeKey, CaError> {
    let params = argon2::Params::new(m, t, p, Some(32))
        .map_err(|e| PkiError::KeyAccess(format!("bad key-derivation parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, key.as_mut())
        .map_err(|e| PkiError::KeyAccess(format!("key derivation failed: {e}")))?;
    let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(|_| PkiError::Signing)?;
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_wrong_passphrase_or_row() {
        let pass = SecretString::from("correct horse");
        let sealed = seal(&pass, "row-1", b"secret pkcs8").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(&*open(&pass, "row-1", &sealed).unwrap(), b"secret pkcs8");
        let wrong = open(&SecretString::from("battery staple"), "row-1", &sealed).unwrap_err();
        assert!(wrong.to_string().contains("wrong CA key passphrase"));
        assert!(open(&pass, "row-2", &sealed).is_err());
    }
}
