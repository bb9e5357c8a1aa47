//! The PKCS#11 return values as the holder's errors.

use cryptoki::error::{Error as CkError, RvError};

use crate::error::Error;

pub(super) fn ck(e: CkError) -> Error {
    match e {
        CkError::Pkcs11(RvError::PinIncorrect, _) => Error::WrongPin,
        CkError::Pkcs11(RvError::PinLocked, _) => Error::PinLocked,
        CkError::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => {
            Error::TokenRemoved
        }
        e => Error::Token(e.to_string()),
    }
}
