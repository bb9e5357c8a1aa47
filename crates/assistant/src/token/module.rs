//! A loaded PKCS#11 module: its slots, the tokens in them, initialising a
//! blank key and opening a session.

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use secrecy::{ExposeSecret, SecretString};

use super::ck::ck;
use super::session::Token;
use crate::error::Error;

/// Where Debian's SoftHSM2 puts its module (the default `--module`).
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The default module: SoftHSM2's when it is installed.
pub fn default_module() -> Option<PathBuf> {
    let p = Path::new(SOFTHSM_MODULE);
    p.exists().then(|| p.to_path_buf())
}

/// A loaded PKCS#11 module. A clone shares it (cryptoki's context is
/// reference-counted): the window's bridge asks the same module as its worker.
#[derive(Clone)]
pub struct Module {
    ctx: Pkcs11,
    path: PathBuf,
}

/// A token as the assistant lists it.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub slot: Slot,
    pub label: String,
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    /// The token says few PIN tries are left.
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

impl Module {
    /// Loads and initialises a module (e.g. SoftHSM2's, or a USB key vendor's).
    pub fn load(path: &Path) -> Result<Module, Error> {
        let ctx = Pkcs11::new(path)
            .map_err(|e| Error::Token(format!("无法加载 PKCS#11 模块 {}：{e}", path.display())))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        Ok(Module {
            ctx,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens present now (a USB key plugged in is one).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, Error> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_initialized_token().map_err(ck)? {
            let t = self.ctx.get_token_info(slot).map_err(ck)?;
            out.push(TokenInfo {
                slot,
                label: t.label().trim().to_string(),
                serial: t.serial_number().trim().to_string(),
                manufacturer: t.manufacturer_id().trim().to_string(),
                model: t.model().trim().to_string(),
                pin_count_low: t.user_pin_count_low(),
                pin_final_try: t.user_pin_final_try(),
                pin_locked: t.user_pin_locked(),
                pin_min: t.min_pin_length(),
            });
        }
        Ok(out)
    }

    /// The first slot holding a key that has not been initialised yet.
    pub fn blank_slot(&self) -> Result<Option<Slot>, Error> {
        for slot in self.ctx.get_slots_with_token().map_err(ck)? {
            if !self
                .ctx
                .get_token_info(slot)
                .map_err(ck)?
                .token_initialized()
            {
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }

    /// Initialises the key in `slot` with an SO PIN and a label.
    pub fn init_token(&self, slot: Slot, so_pin: &SecretString, label: &str) -> Result<(), Error> {
        self.ctx
            .init_token(slot, &AuthPin::new(so_pin.expose_secret().into()), label)
            .map_err(ck)
    }

    /// The serial of the key in `slot`.
    pub fn serial_of(&self, slot: Slot) -> Result<String, Error> {
        Ok(self
            .ctx
            .get_token_info(slot)
            .map_err(ck)?
            .serial_number()
            .trim()
            .to_string())
    }

    /// A read-write session on a token; certificates can be read without a PIN.
    pub fn open(&self, slot: Slot) -> Result<Token, Error> {
        Ok(Token {
            session: self.ctx.open_rw_session(slot).map_err(ck)?,
        })
    }
}
