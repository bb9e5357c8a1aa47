//! What the assistant knows of a key, whichever interface drives it: the
//! kinds of key pair, a private key, a certificate, a key as listed.

/// The kinds of key pair the assistant makes in a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    Rsa2048,
    /// SM2 (GM/T 0003), signed SM3withSM2 with the signer's ID: the only
    /// kind an SKF key makes here.
    Sm2,
}

/// A private key in a key.
#[derive(Debug, Clone)]
pub struct KeyRef {
    pub(super) handle: KeyHandle,
    pub id: Vec<u8>,
    pub label: String,
    pub kind: KeyKind,
}

/// Where the private key lives: a PKCS#11 object, or an SKF container.
#[derive(Debug, Clone)]
pub(super) enum KeyHandle {
    Pkcs11(cryptoki::object::ObjectHandle),
    Skf(String),
}

impl KeyRef {
    /// The same key under its new label (after `Token::relabel`).
    pub fn with_label(self, label: String) -> KeyRef {
        KeyRef { label, ..self }
    }
}

/// A certificate in a key, under the id of its key pair.
#[derive(Debug, Clone)]
pub struct TokenCert {
    pub id: Vec<u8>,
    pub label: String,
    pub der: Vec<u8>,
}

/// The interface a key is driven through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Pkcs11,
    /// GM/T 0016 (GB/T 35291), the interface of Chinese USB keys.
    Skf,
}

impl Interface {
    pub fn name(self) -> &'static str {
        match self {
            Interface::Pkcs11 => "PKCS#11",
            Interface::Skf => "SKF",
        }
    }
}

/// Where a key is: a slot of a PKCS#11 module, or a device of an SKF
/// library (by the index of its driver in [`super::Drivers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySlot {
    Pkcs11 {
        driver: usize,
        slot: cryptoki::slot::Slot,
    },
    Skf {
        driver: usize,
        device: String,
    },
}

/// A key as the assistant lists it.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub slot: KeySlot,
    pub interface: Interface,
    pub label: String,
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    /// The key says few PIN tries are left.
    pub pin_count_low: bool,
    /// One more wrong PIN locks it.
    pub pin_final_try: bool,
    pub pin_locked: bool,
    /// The shortest user PIN the key takes (refused before a login that
    /// would only cost a try).
    pub pin_min: usize,
}

impl TokenInfo {
    /// What to tell the holder about their PIN tries, if anything.
    pub fn pin_warning(&self) -> Option<&'static str> {
        if self.pin_locked {
            Some("PIN 已锁定，请使用“找回密码”解锁")
        } else if self.pin_final_try {
            Some("PIN 只剩最后一次尝试机会，再错将被锁定")
        } else if self.pin_count_low {
            Some("PIN 剩余尝试次数不多，请谨慎输入")
        } else {
            None
        }
    }
}
