//! Keys at rest: a private key (PKCS#8) or a small secret sealed with
//! AES-256-GCM under a key derived from an operator's passphrase with
//! Argon2id. The CA's keys and secrets use it, and so does the KMC's master
//! key; each names the setting that holds its passphrase in the message for a
//! wrong one.
//!
//! Layout: `CHK1` | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | nonce[12] |
//! ciphertext+tag. The key row's id is the associated data, so a sealed key cannot
//! be moved to another row unnoticed.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::PkiError;

const MAGIC: &[u8; 4] = b"CHK1";
/// OWASP's Argon2id minimum (19 MiB, 2 passes): start-up stays well under a second.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const HEADER: usize = 4 + 12 + 16 + 12;

/// Seals `pkcs8` (or any secret) bound to `aad`.
pub fn seal(passphrase: &SecretString, aad: &str, pkcs8: &[u8]) -> Result<Vec<u8>, PkiError> {
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

/// Opens what [`seal`] sealed under `aad`. `setting` names where the
/// passphrase comes from, for the message when it is wrong.
pub fn open(
    passphrase: &SecretString,
    aad: &str,
    sealed: &[u8],
    setting: &str,
) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    if sealed.len() < HEADER + 16 || &sealed[..4] != MAGIC {
        return Err(PkiError::KeyAccess(
            "the stored key is not in a format we know".into(),
        ));
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
        .map_err(|_| PkiError::KeyAccess(format!("wrong passphrase (check {setting})")))?
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
) -> Result<LessSafeKey, PkiError> {
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

    const SETTING: &str = "the.setting";

    #[test]
    fn seals_and_opens_and_refuses_wrong_passphrase_or_row() {
        let pass = SecretString::from("correct horse");
        let sealed = seal(&pass, "row-1", b"secret pkcs8").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            &*open(&pass, "row-1", &sealed, SETTING).unwrap(),
            b"secret pkcs8"
        );
        let wrong = open(
            &SecretString::from("battery staple"),
            "row-1",
            &sealed,
            SETTING,
        )
        .unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "cannot open the CA key: wrong passphrase (check the.setting)"
        );
        assert!(open(&pass, "row-2", &sealed, SETTING).is_err());
    }
}
