//! An open session on one token: the login, and the user PIN changed or
//! reset with the SO PIN (找回密码).

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use secrecy::{ExposeSecret, SecretString};

use super::ck::ck;
use crate::error::Error;

/// An open session on one token.
pub struct P11Token {
    pub(super) session: Session,
}

impl P11Token {
    /// Logs in with the user PIN. The PIN is used for this call only: never
    /// kept, never logged.
    pub fn login(&self, pin: &SecretString) -> Result<(), Error> {
        let pin = AuthPin::new(pin.expose_secret().into());
        match self.session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(e) => Err(ck(e)),
        }
    }

    /// Changes the user PIN (logged in or not, as the token allows).
    pub fn change_pin(&self, old: &SecretString, new: &SecretString) -> Result<(), Error> {
        let (old, new) = (
            AuthPin::new(old.expose_secret().into()),
            AuthPin::new(new.expose_secret().into()),
        );
        self.session.set_pin(&old, &new).map_err(ck)
    }

    /// Sets a new user PIN with the SO PIN (找回密码), then logs the SO out.
    pub fn reset_user_pin(&self, so_pin: &SecretString, new: &SecretString) -> Result<(), Error> {
        let so = AuthPin::new(so_pin.expose_secret().into());
        match self.session.login(UserType::So, Some(&so)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        let result = self
            .session
            .init_pin(&AuthPin::new(new.expose_secret().into()))
            .map_err(ck);
        let _ = self.session.logout();
        result
    }
}
