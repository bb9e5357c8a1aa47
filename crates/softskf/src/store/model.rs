//! What a device directory holds, as serde records (JSON on disk).
//!
//! `device.json` is a [`DeviceRecord`], written once when the device is made;
//! `apps/<hex of the name>.json` is an [`AppRecord`] with everything of one
//! application, rewritten whole (atomically) by each change.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sm2::SecretKey;
use zeroize::Zeroizing;

use crate::crypto::{self, PublicPoint};
use crate::pin::{Pin, PinRecord};
use crate::{SkfError, sgd};

/// The layout version in `device.json`, refused if unknown.
pub const FORMAT: u32 = 1;

/// `device.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub format: u32,
    /// Random, made with the device: a handle opened on a device that was
    /// removed and then re-created under the same name must not reach the
    /// new one, just as a key pulled out and another plugged in.
    #[serde(with = "crate::serde_hex")]
    pub instance: [u8; 16],
    pub label: String,
    pub serial: String,
    /// A key that makes RSA pairs only, as some older U 盾 do: its
    /// `DEVINFO.AlgAsymCap` names no SM2 and `SKF_GenECCKeyPair` answers
    /// `SAR_NOTSUPPORTYETERR` (for the tests of what a holder with such a
    /// key is told under an SM2 CA; softskf itself makes no RSA pairs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rsa_only: bool,
}

/// One application (`apps/<hex of the name>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRecord {
    pub name: Name,
    pub admin_pin: PinRecord,
    pub user_pin: PinRecord,
    /// `dwCreateFileRights`: who may create (and delete) files.
    pub create_file_rights: u32,
    #[serde(default)]
    pub containers: Vec<ContainerRecord>,
    #[serde(default)]
    pub files: Vec<FileRecord>,
}

/// A container: a signing key pair made inside, an encryption key pair from a
/// KMC, and a certificate for each.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub name: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_cert: Option<Blob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc_cert: Option<Blob>,
}

/// A file of fixed size, set at creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub name: Name,
    pub read_rights: u32,
    pub write_rights: u32,
    pub data: Blob,
}

/// A name as the caller gave it: bytes, not necessarily UTF-8 (Chinese
/// middleware may pass GBK). Stored as a string when it is UTF-8, else as
/// `{"hex": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Vec<u8>);

/// Bytes stored as hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob(#[serde(with = "crate::serde_hex")] pub Vec<u8>);

/// An SM2 private key at rest (hex in the file), wiped from memory when
/// dropped.
#[derive(Clone)]
pub struct PrivateKey(Zeroizing<[u8; 32]>);

impl AppRecord {
    /// A new application: each PIN with its retry count (1 to 15), and who
    /// may create files (`SECURE_*`). Refuses what the standard does not
    /// define.
    pub fn new(
        name: Name,
        (admin_pin, admin_retries): (&Pin, u32),
        (user_pin, user_retries): (&Pin, u32),
        create_file_rights: u32,
    ) -> Result<Self, SkfError> {
        if !sgd::rights_valid(create_file_rights) {
            return Err(SkfError::InvalidParam);
        }
        Ok(AppRecord {
            name,
            admin_pin: PinRecord::new(admin_pin, admin_retries)?,
            user_pin: PinRecord::new(user_pin, user_retries)?,
            create_file_rights,
            containers: Vec::new(),
            files: Vec::new(),
        })
    }

    pub fn container(&self, name: &Name) -> Option<&ContainerRecord> {
        self.containers.iter().find(|c| &c.name == name)
    }

    pub fn container_mut(&mut self, name: &Name) -> Option<&mut ContainerRecord> {
        self.containers.iter_mut().find(|c| &c.name == name)
    }

    pub fn file(&self, name: &Name) -> Option<&FileRecord> {
        self.files.iter().find(|f| &f.name == name)
    }

    pub fn file_mut(&mut self, name: &Name) -> Option<&mut FileRecord> {
        self.files.iter_mut().find(|f| &f.name == name)
    }

    /// Bytes counted against the device's space: files and certificates.
    pub fn used_space(&self) -> u64 {
        let files = self.files.iter().map(|f| f.data.0.len());
        let certs = self
            .containers
            .iter()
            .flat_map(|c| [&c.sign_cert, &c.enc_cert])
            .flatten()
            .map(|cert| cert.0.len());
        files.chain(certs).map(|len| len as u64).sum()
    }
}

impl ContainerRecord {
    pub fn new(name: Name) -> Self {
        ContainerRecord {
            name,
            sign_key: None,
            sign_cert: None,
            enc_key: None,
            enc_cert: None,
        }
    }
}

impl Name {
    /// `NameLength` unless 1 to `max` bytes; `InvalidParam` if it holds a
    /// NUL (it could not be listed in a NUL-separated list).
    pub fn new(bytes: &[u8], max: usize) -> Result<Self, SkfError> {
        if bytes.is_empty() || bytes.len() > max {
            return Err(SkfError::NameLength);
        }
        if bytes.contains(&0) {
            return Err(SkfError::InvalidParam);
        }
        Ok(Name(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// For messages and listings.
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl PrivateKey {
    pub fn of(key: &SecretKey) -> Self {
        PrivateKey(Zeroizing::new(key.to_bytes().into()))
    }

    /// The key; `InputData` if the stored bytes are not a valid key.
    pub fn secret(&self) -> Result<SecretKey, SkfError> {
        crypto::sm2::secret_from_bytes(self.0.as_slice())
    }

    pub fn public(&self) -> Result<PublicPoint, SkfError> {
        Ok(PublicPoint::of_secret(&self.secret()?))
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(…)")
    }
}

impl Serialize for PrivateKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Zeroizing::new(hex::encode(self.0.as_slice())))
    }
}

impl<'de> Deserialize<'de> for PrivateKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.as_bytes(), key.as_mut_slice())
            .map_err(serde::de::Error::custom)?;
        Ok(PrivateKey(key))
    }
}

/// The two stored shapes of a [`Name`].
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredName {
    Text(String),
    Bytes {
        #[serde(with = "crate::serde_hex")]
        hex: Vec<u8>,
    },
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => StoredName::Text(text.to_owned()),
            Err(_) => StoredName::Bytes {
                hex: self.0.clone(),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Name(match StoredName::deserialize(deserializer)? {
            StoredName::Text(text) => text.into_bytes(),
            StoredName::Bytes { hex } => hex,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_bytes() {
        for bytes in [&b"certhall"[..], &[0xc4, 0xe3, 0xba, 0xc3][..]] {
            let name = Name::new(bytes, 32).unwrap();
            let json = serde_json::to_string(&name).unwrap();
            let back: Name = serde_json::from_str(&json).unwrap();
            assert_eq!(back.as_bytes(), bytes);
        }
        assert_eq!(
            serde_json::to_string(&Name::new(b"certhall", 32).unwrap()).unwrap(),
            "\"certhall\""
        );
    }

    #[test]
    fn name_limits() {
        assert_eq!(Name::new(b"", 32), Err(SkfError::NameLength));
        assert_eq!(Name::new(&[b'a'; 33], 32), Err(SkfError::NameLength));
        assert!(Name::new(&[b'a'; 32], 32).is_ok());
    }

    #[test]
    fn a_private_key_round_trips_and_does_not_debug_print() {
        let secret = crypto::sm2::generate().unwrap();
        let stored = PrivateKey::of(&secret);
        let json = serde_json::to_string(&stored).unwrap();
        let back: PrivateKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back.public().unwrap(), PublicPoint::of_secret(&secret));
        assert_eq!(format!("{stored:?}"), "PrivateKey(…)");
    }
}
