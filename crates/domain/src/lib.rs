//! certhall's domain vocabulary.
//!
//! Everything a person or a peer types arrives as a string; it is parsed here, once,
//! into a type that cannot hold an invalid value (`CreditCode`, `IdNumber`, `Serial`,
//! …). Deeper layers take these types and never re-validate. No I/O lives here.

mod business;
mod businesses;
pub mod calendar;
mod clock;
mod contact;
mod credit_code;
pub mod fault;
mod id_number;
mod keyed;
mod money;
mod msg;
mod payment;
mod profile;
pub mod renewal;
mod revocation;
pub mod seal;
mod serial;
mod staff;
mod text;
mod unlock;

pub use business::{AppAction, AppState};
pub use businesses::Business;
pub use clock::{Clock, FixedClock, SystemClock};
pub use contact::{Email, Mobile};
pub use credit_code::CreditCode;
pub use id_number::IdNumber;
pub use money::Fen;
pub use msg::Msg;
pub use payment::{Channel, OrderState, RefundState, TransferState};
pub use profile::{ProfileKind, SubjectInfo};
pub use revocation::RevocationReason;
pub use serial::Serial;
pub use staff::{Perm, Role};
pub use text::SubjectText;
pub use unlock::UnlockState;

/// Gregorian leap year.
pub fn is_leap_year(year: i64) -> bool {
    (year.rem_euclid(4) == 0 && year.rem_euclid(100) != 0) || year.rem_euclid(400) == 0
}

/// What went wrong when parsing a value that came from outside. The message is the
/// one a person sees, so it names the field and says what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: Msg },
    #[error("{field} is required")]
    Missing { field: &'static str },
}

impl ParseError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<Msg>) -> Self {
        ParseError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// The field the error is about (for forms that show errors next to fields).
    pub fn field(&self) -> &'static str {
        match self {
            ParseError::Invalid { field, .. } | ParseError::Missing { field } => field,
        }
    }
}
