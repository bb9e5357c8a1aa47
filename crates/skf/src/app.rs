//! An open application: its two PINs and its containers. Its files are in
//! [`crate::files`].

use crate::SkfError;
use crate::container::Container;
use crate::device::Device;
use crate::ffi::AppHandle;
use crate::names::{self, parse_list};
use crate::sar::{SAR_OK, SAR_PIN_INCORRECT};

/// An open application; `SKF_CloseApplication` when dropped (which also
/// forgets the PINs verified on it).
pub struct App<'d> {
    device: &'d Device<'d>,
    raw: AppHandle<'d>,
    name: String,
}

/// Which of an application's PINs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRole {
    /// The administrator (SO) PIN: unblocks the user PIN (找回密码).
    Admin,
    User,
}

/// `SKF_GetPINInfo`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinInfo {
    pub max: u32,
    pub remaining: u32,
    /// Still the PIN the application was created with.
    pub default: bool,
}

impl PinRole {
    /// `ADMIN_TYPE` 0, `USER_TYPE` 1.
    fn code(self) -> u32 {
        match self {
            PinRole::Admin => 0,
            PinRole::User => 1,
        }
    }
}

impl<'d> App<'d> {
    pub(crate) fn new(device: &'d Device<'d>, raw: AppHandle<'d>, name: &str) -> Self {
        App {
            device,
            raw,
            name: name.to_owned(),
        }
    }

    pub(crate) fn raw(&self) -> &AppHandle<'d> {
        &self.raw
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device it was opened on.
    pub fn device(&self) -> &'d Device<'d> {
        self.device
    }

    /// Logs in with `pin`: `PinIncorrect { remaining }` if wrong (0 left:
    /// now locked), `Sar` with `SAR_PIN_LOCKED` if it was locked already.
    pub fn verify_pin(&self, role: PinRole, pin: &str) -> Result<(), SkfError> {
        let pin = names::pin(pin)?;
        pin_answer("SKF_VerifyPIN", self.raw.verify_pin(role.code(), &pin))
    }

    /// Changes a PIN; the old one is checked and counted as by
    /// [`verify_pin`](Self::verify_pin).
    pub fn change_pin(&self, role: PinRole, old: &str, new: &str) -> Result<(), SkfError> {
        let (old, new) = (names::pin(old)?, names::pin(new)?);
        pin_answer(
            "SKF_ChangePIN",
            self.raw.change_pin(role.code(), &old, &new),
        )
    }

    /// Sets a new user PIN, with all its tries, with the administrator PIN
    /// (找回密码). A wrong administrator PIN is `PinIncorrect` with the
    /// administrator PIN's tries left.
    pub fn unblock_pin(&self, admin_pin: &str, new_user_pin: &str) -> Result<(), SkfError> {
        let (admin, new) = (names::pin(admin_pin)?, names::pin(new_user_pin)?);
        pin_answer("SKF_UnblockPIN", self.raw.unblock_pin(&admin, &new))
    }

    /// A PIN's tries and whether it is still the default.
    pub fn pin_info(&self, role: PinRole) -> Result<PinInfo, SkfError> {
        let (max, remaining, default) = self.raw.get_pin_info(role.code())?;
        Ok(PinInfo {
            max,
            remaining,
            default,
        })
    }

    /// Forgets the PINs verified on this handle (`SKF_ClearSecureState`).
    pub fn logout(&self) -> Result<(), SkfError> {
        self.raw.clear_secure_state()
    }

    /// The containers' names (`SKF_EnumContainer`).
    pub fn containers(&self) -> Result<Vec<String>, SkfError> {
        let list = names::fetch("SKF_EnumContainer", |buf| self.raw.enum_names(false, buf))?;
        Ok(parse_list(&list))
    }

    /// Creates the container `name` and opens it.
    pub fn create_container(&self, name: &str) -> Result<Container<'_>, SkfError> {
        let raw = self.raw.container(&names::container_name(name)?, true)?;
        Ok(Container::new(self, raw, name))
    }

    /// Opens the container `name`; it is closed when dropped.
    pub fn open_container(&self, name: &str) -> Result<Container<'_>, SkfError> {
        let raw = self.raw.container(&names::container_name(name)?, false)?;
        Ok(Container::new(self, raw, name))
    }

    /// Deletes the container `name`, its keys and certificates.
    pub fn delete_container(&self, name: &str) -> Result<(), SkfError> {
        self.raw.delete(false, &names::container_name(name)?)
    }
}

/// A PIN call's answer: the tries left matter only with `SAR_PIN_INCORRECT`.
fn pin_answer(function: &'static str, answer: crate::ffi::PinAnswer) -> Result<(), SkfError> {
    match answer.code {
        SAR_OK => Ok(()),
        SAR_PIN_INCORRECT => Err(SkfError::PinIncorrect {
            remaining: answer.remaining,
        }),
        code => Err(SkfError::Sar { function, code }),
    }
}

impl std::fmt::Debug for App<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("name", &self.name).finish()
    }
}
