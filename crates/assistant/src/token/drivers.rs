//! The drivers configured (PKCS#11 modules, SKF libraries) and every key in
//! them: what the window, the command line and the local bridge list, open,
//! and initialise.

use std::path::PathBuf;

use secrecy::SecretString;

use super::either::Token;
use super::pkcs11::P11Module;
use super::skf::SkfDriver;
use super::types::{KeySlot, TokenInfo};
use crate::error::Error;

/// The loaded drivers. A clone shares them (the window's bridge asks the
/// same drivers as its worker).
#[derive(Clone, Default)]
pub struct Drivers {
    pkcs11: Vec<P11Module>,
    skf: Vec<SkfDriver>,
}

impl Drivers {
    /// Loads every module and library; one that cannot be loaded is an
    /// error naming it (a file that is not an SKF library: the functions it
    /// lacks).
    pub fn load(pkcs11: &[PathBuf], skf: &[PathBuf]) -> Result<Drivers, Error> {
        Ok(Drivers {
            pkcs11: pkcs11
                .iter()
                .map(|p| P11Module::load(p))
                .collect::<Result<_, _>>()?,
            skf: skf
                .iter()
                .map(|p| SkfDriver::load(p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Adds a module nobody asked for by name (SoftHSM2's, found installed):
    /// one that does not load is left out, said on stderr, so it never
    /// stands between the holder and the keys they configured.
    pub fn with_default_module(mut self, path: PathBuf) -> Drivers {
        match P11Module::load(&path) {
            Ok(module) => self.pkcs11.insert(0, module),
            Err(e) => eprintln!("certhall-assistant: 未使用默认的 PKCS#11 模块：{e}"),
        }
        self
    }

    /// Every key present, PKCS#11 first. A driver that fails to list is
    /// skipped while another answers (its error is logged); with none
    /// answering, the first error is the answer.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, Error> {
        let mut out = Vec::new();
        let mut first_error = None;
        let mut answered = false;
        let lists = self
            .pkcs11
            .iter()
            .enumerate()
            .map(|(i, m)| m.tokens(i))
            .chain(self.skf.iter().enumerate().map(|(i, d)| d.tokens(i)));
        for listed in lists {
            match listed {
                Ok(mut t) => {
                    answered = true;
                    out.append(&mut t);
                }
                Err(e) => {
                    eprintln!("certhall-assistant: 列出证书介质失败：{e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if !answered => Err(e),
            _ => Ok(out),
        }
    }

    /// A key, opened (not logged in).
    pub fn open(&self, slot: &KeySlot) -> Result<Token, Error> {
        match slot {
            KeySlot::Pkcs11 { driver, slot } => Ok(Token::Pkcs11(self.p11(*driver)?.open(*slot)?)),
            KeySlot::Skf { driver, device } => Ok(Token::Skf(self.skf(*driver)?.open(device))),
        }
    }

    /// The first blank key: an SKF device without an application, else a
    /// PKCS#11 slot whose token is not initialised. SKF first: SoftHSM2
    /// always offers a free slot, which must not win over a real key the
    /// operator just plugged in.
    pub fn blank(&self) -> Result<Option<KeySlot>, Error> {
        for (driver, d) in self.skf.iter().enumerate() {
            if let Some(device) = d.blank()? {
                return Ok(Some(KeySlot::Skf { driver, device }));
            }
        }
        for (driver, m) in self.pkcs11.iter().enumerate() {
            if let Some(slot) = m.blank_slot()? {
                return Ok(Some(KeySlot::Pkcs11 { driver, slot }));
            }
        }
        Ok(None)
    }

    /// Initialises a blank key: the SO PIN (PKCS#11, with `label`) or the
    /// administrator PIN of a new application (SKF; the device keeps the
    /// vendor's label). The user PIN is set next, by `reset_user_pin`.
    pub fn init(&self, slot: &KeySlot, so_pin: &SecretString, label: &str) -> Result<(), Error> {
        match slot {
            KeySlot::Pkcs11 { driver, slot } => self.p11(*driver)?.init_token(*slot, so_pin, label),
            KeySlot::Skf { driver, device } => self.skf(*driver)?.init(device, so_pin),
        }
    }

    /// Undoes [`Drivers::init`] when the SO PIN could not be escrowed:
    /// an SKF key loses the application made and is blank again (`true`); a
    /// PKCS#11 token stays initialised (`false`), and the next `init`
    /// initialises it over.
    pub fn undo_init(&self, slot: &KeySlot) -> Result<bool, Error> {
        match slot {
            KeySlot::Pkcs11 { .. } => Ok(false),
            KeySlot::Skf { driver, device } => self.skf(*driver)?.wipe(device).map(|()| true),
        }
    }

    /// The serial of a key.
    pub fn serial_of(&self, slot: &KeySlot) -> Result<String, Error> {
        match slot {
            KeySlot::Pkcs11 { driver, slot } => self.p11(*driver)?.serial_of(*slot),
            KeySlot::Skf { driver, device } => self.skf(*driver)?.serial_of(device),
        }
    }

    fn p11(&self, i: usize) -> Result<&P11Module, Error> {
        self.pkcs11
            .get(i)
            .ok_or_else(|| Error::Token("证书介质的驱动已不在".into()))
    }

    fn skf(&self, i: usize) -> Result<&SkfDriver, Error> {
        self.skf
            .get(i)
            .ok_or_else(|| Error::Token("证书介质的驱动已不在".into()))
    }
}
