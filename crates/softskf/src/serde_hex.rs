//! Bytes as hex strings in the device files (`#[serde(with = "crate::serde_hex")]`).
//!
//! Written here rather than enabling the `hex` crate's `serde` feature, which
//! would change that crate's build for the whole workspace.

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(bytes: impl AsRef<[u8]>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

pub fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: hex::FromHex,
    T::Error: std::fmt::Display,
{
    let text = String::deserialize(deserializer)?;
    T::from_hex(text).map_err(serde::de::Error::custom)
}
