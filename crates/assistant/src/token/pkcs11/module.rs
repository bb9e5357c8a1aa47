//! A loaded PKCS#11 module: its slots, the tokens in them, initialising a
//! blank key and opening a session.

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use secrecy::{ExposeSecret, SecretString};

use super::ck::ck;
use super::session::P11Token;
use crate::error::Error;
use crate::token::types::{Interface, KeySlot, TokenInfo};

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
pub struct P11Module {
    ctx: Pkcs11,
}

impl P11Module {
    /// Loads and initialises a module (e.g. SoftHSM2's, or a USB key vendor's).
    pub fn load(path: &Path) -> Result<P11Module, Error> {
        let ctx = Pkcs11::new(path)
            .map_err(|e| Error::Token(format!("无法加载 PKCS#11 模块 {}：{e}", path.display())))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        Ok(P11Module { ctx })
    }

    /// The tokens present now (a USB key plugged in is one).
    pub fn tokens(&self, driver: usize) -> Result<Vec<TokenInfo>, Error> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_initialized_token().map_err(ck)? {
            let t = self.ctx.get_token_info(slot).map_err(ck)?;
            out.push(TokenInfo {
                slot: KeySlot::Pkcs11 { driver, slot },
                interface: Interface::Pkcs11,
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
    pub fn open(&self, slot: Slot) -> Result<P11Token, Error> {
        Ok(P11Token {
            session: self.ctx.open_rw_session(slot).map_err(ck)?,
        })
    }
}
