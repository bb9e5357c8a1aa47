//! Container and seal-file names from the assistant's key ids, and back.

use sha2::{Digest, Sha256};

/// What marks the id of a container the assistant did not name (a vendor's
/// or another program's): the rest is the container's name.
const FOREIGN: &[u8] = b"skf:";

/// The container holding the key pair of `id`.
pub(super) fn container_of(id: &[u8]) -> String {
    match id.strip_prefix(FOREIGN) {
        Some(name) => String::from_utf8_lossy(name).into_owned(),
        None => hex::encode(id),
    }
}

/// The id of the key pair in container `name`.
pub(super) fn id_of(name: &str) -> Vec<u8> {
    match hex::decode(name) {
        Ok(id) if id.len() == 16 && hex::encode(&id) == name => id,
        _ => [FOREIGN, name.as_bytes()].concat(),
    }
}

/// The prefix of the seal files of the certificate under `id`: `s`, then
/// the container's name cut to fit the standard's 32-byte file names.
pub(super) fn seal_prefix(id: &[u8]) -> String {
    let digest = Sha256::digest(container_of(id).as_bytes());
    format!("s{}.", hex::encode(&digest[..11]))
}

/// The seal file of `png` for the certificate under `id`: its prefix and
/// the image's digest, so a file cut short by a stop is known by its name.
pub(super) fn seal_file(id: &[u8], png: &[u8]) -> String {
    format!(
        "{}{}",
        seal_prefix(id),
        hex::encode(&Sha256::digest(png)[..3])
    )
}

/// Whether `data` is the image the file `name` says it is.
pub(super) fn seal_intact(name: &str, data: &[u8]) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, digest)| digest == hex::encode(&Sha256::digest(data)[..3]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_container_names_round_trip() {
        let ours = [7u8; 16];
        assert_eq!(id_of(&container_of(&ours)), ours);
        for foreign in [
            "Sign",
            "0123456789abcdef",
            "ABCDEF0123456789ABCDEF0123456789",
        ] {
            assert_eq!(container_of(&id_of(foreign)), foreign);
        }
        assert!(seal_file(&ours, b"png").len() <= 32);
        assert!(seal_intact(&seal_file(&ours, b"png"), b"png"));
        assert!(!seal_intact(&seal_file(&ours, b"png"), b"\0\0\0"));
    }
}
