//! A PIN as the key keeps it: a salted SM3 hash and a retry counter that
//! locks at zero.
//!
//! The hash only keeps the PIN out of plain sight in the device files; it is
//! not a defence against someone who can read them (a 6-digit PIN falls to any
//! hash). On a real key the retry counter is that defence, and here it is
//! persisted with the hash so that it survives a reload like a card's.

use serde::{Deserialize, Serialize};
use sm2::elliptic_curve::subtle::ConstantTimeEq;
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

use crate::{SkfError, crypto};

/// The shortest and longest PIN accepted, in bytes (common USB-key limits).
pub const PIN_LEN: std::ops::RangeInclusive<usize> = 6..=32;

/// The retry counts an application may be created with: a card reports the
/// remaining tries in the low nibble of status word 63Cx, hence at most 15.
pub const RETRIES: std::ops::RangeInclusive<u32> = 1..=15;

/// Separates this hash from any other SM3 use of the same bytes.
const HASH_LABEL: &[u8] = b"softskf PIN v1\0";

/// A PIN of acceptable length, wiped from memory when dropped.
pub struct Pin(Zeroizing<Vec<u8>>);

/// Which of an application's two PINs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    User,
}

/// The stored form of one PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRecord {
    #[serde(with = "crate::serde_hex")]
    salt: [u8; 16],
    #[serde(with = "crate::serde_hex")]
    hash: [u8; 32],
    max_retries: u32,
    remaining: u32,
    /// Still the PIN the application was created with (`SKF_GetPINInfo`'s
    /// `pbDefaultPin`): cleared by the first change or unblock.
    is_default: bool,
}

/// What checking a PIN found. The record's counter has already moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Correct,
    /// Wrong; `remaining` tries are left (0: it is now locked).
    Incorrect {
        remaining: u32,
    },
    /// No tries were left: not even compared.
    Locked,
}

impl Pin {
    /// `PinLength` unless 6 to 32 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, SkfError> {
        if PIN_LEN.contains(&bytes.len()) {
            Ok(Pin(Zeroizing::new(bytes.to_vec())))
        } else {
            Err(SkfError::PinLength)
        }
    }
}

impl Role {
    /// `ulPINType`: 0 the administrator, 1 the user.
    pub fn from_abi(value: u32) -> Result<Self, SkfError> {
        match value {
            0 => Ok(Role::Admin),
            1 => Ok(Role::User),
            _ => Err(SkfError::PinType),
        }
    }
}

impl PinRecord {
    /// A new PIN with all its tries; `InvalidParam` if `max_retries` is not
    /// in [`RETRIES`].
    pub fn new(pin: &Pin, max_retries: u32) -> Result<Self, SkfError> {
        if !RETRIES.contains(&max_retries) {
            return Err(SkfError::InvalidParam);
        }
        let mut salt = [0u8; 16];
        crypto::random(&mut salt)?;
        Ok(PinRecord {
            salt,
            hash: hash(&salt, &pin.0),
            max_retries,
            remaining: max_retries,
            is_default: true,
        })
    }

    /// Compares `pin`, counting a wrong one: a right one restores all tries.
    pub fn check(&mut self, pin: &Pin) -> Check {
        if self.remaining == 0 {
            return Check::Locked;
        }
        if bool::from(hash(&self.salt, &pin.0).ct_eq(&self.hash)) {
            self.remaining = self.max_retries;
            Check::Correct
        } else {
            self.remaining -= 1;
            Check::Incorrect {
                remaining: self.remaining,
            }
        }
    }

    /// Sets a new PIN (after the old one or the administrator's was given)
    /// and restores all tries.
    pub fn replace(&mut self, pin: &Pin) -> Result<(), SkfError> {
        crypto::random(&mut self.salt)?;
        self.hash = hash(&self.salt, &pin.0);
        self.remaining = self.max_retries;
        self.is_default = false;
        Ok(())
    }

    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    pub fn remaining(&self) -> u32 {
        self.remaining
    }

    pub fn is_default(&self) -> bool {
        self.is_default
    }
}

fn hash(salt: &[u8; 16], pin: &[u8]) -> [u8; 32] {
    Sm3::new()
        .chain_update(HASH_LABEL)
        .chain_update(salt)
        .chain_update(pin)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_pins_count_down_to_a_lock_that_refuses_the_right_one() {
        let pin = |text: &[u8]| Pin::new(text).unwrap();
        let mut record = PinRecord::new(&pin(b"123456"), 3).unwrap();
        assert_eq!(
            record.check(&pin(b"000000")),
            Check::Incorrect { remaining: 2 }
        );
        assert_eq!(record.check(&pin(b"123456")), Check::Correct);
        assert_eq!(record.remaining(), 3);
        for remaining in [2, 1, 0] {
            assert_eq!(
                record.check(&pin(b"000000")),
                Check::Incorrect { remaining }
            );
        }
        assert_eq!(record.check(&pin(b"123456")), Check::Locked);

        record.replace(&pin(b"654321")).unwrap();
        assert_eq!(record.remaining(), 3);
        assert!(!record.is_default());
        assert_eq!(record.check(&pin(b"654321")), Check::Correct);
    }

    #[test]
    fn the_stored_form_holds_no_pin() {
        let record = PinRecord::new(&Pin::new(b"12345678").unwrap(), 6).unwrap();
        let json = serde_json::to_string(&record).unwrap();
        assert!(!json.contains("12345678"));
        assert!(!json.contains(&hex::encode(b"12345678")));
    }

    #[test]
    fn limits() {
        assert!(Pin::new(b"12345").is_err());
        assert!(Pin::new(&[b'1'; 33]).is_err());
        assert!(PinRecord::new(&Pin::new(b"123456").unwrap(), 0).is_err());
        assert!(PinRecord::new(&Pin::new(b"123456").unwrap(), 16).is_err());
    }
}
