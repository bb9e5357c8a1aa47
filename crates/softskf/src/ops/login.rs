//! PINs and the login state of an application handle (GM/T 0016 §7.2).
//!
//! The counters live in the application's file and are saved before the
//! answer is given, so a wrong PIN counts even if the caller dies right after,
//! and a new connection sees them. Login is per handle: verifying a PIN logs
//! in this handle of this process only, until `SKF_ClearSecureState` or
//! `SKF_CloseApplication`.

use super::AppContext;
use crate::SkfError;
use crate::handles::{self, Handle, Object};
use crate::pin::{Check, Pin, PinRecord, Role};
use crate::store::AppRecord;

/// The answer of a call that checks a PIN: its status and the tries left of
/// the PIN checked (written to `*pulRetryCount` whatever the status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinAnswer {
    pub status: Result<(), SkfError>,
    pub remaining: u32,
}

/// `SKF_GetPINInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinInfo {
    pub max_retries: u32,
    pub remaining: u32,
    pub is_default: bool,
}

/// `SKF_VerifyPIN`.
pub fn verify(app: Handle, role: Role, pin: &Pin) -> Result<PinAnswer, SkfError> {
    let mut table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    let before = record.pins();
    let check = record.pin_mut(role).check(pin);
    save_if_changed(&context, &record, before)?;
    if let Some(Object::App(session)) = table.get_mut(app) {
        let logged_in = check == Check::Correct;
        match role {
            Role::Admin => session.admin = logged_in,
            Role::User => session.user = logged_in,
        }
    }
    Ok(answer(check, record.pin(role)))
}

/// `SKF_ChangePIN`: the old PIN is checked (and counted) like a verify.
pub fn change(app: Handle, role: Role, old: &Pin, new: &Pin) -> Result<PinAnswer, SkfError> {
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    let before = record.pins();
    let check = record.pin_mut(role).check(old);
    if check == Check::Correct {
        record.pin_mut(role).replace(new)?;
    }
    save_if_changed(&context, &record, before)?;
    Ok(answer(check, record.pin(role)))
}

/// `SKF_UnblockPIN`: with the right administrator PIN, sets a new user PIN
/// with all its tries. A wrong one counts against the administrator PIN,
/// whose remaining tries are answered.
pub fn unblock(app: Handle, admin_pin: &Pin, new_user_pin: &Pin) -> Result<PinAnswer, SkfError> {
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    let before = record.pins();
    let check = record.admin_pin.check(admin_pin);
    if check == Check::Correct {
        record.user_pin.replace(new_user_pin)?;
    }
    save_if_changed(&context, &record, before)?;
    Ok(answer(check, &record.admin_pin))
}

/// `SKF_GetPINInfo`.
pub fn info(app: Handle, role: Role) -> Result<PinInfo, SkfError> {
    let table = handles::lock();
    let record = AppContext::resolve(&table, app)?.load()?;
    let pin = record.pin(role);
    Ok(PinInfo {
        max_retries: pin.max_retries(),
        remaining: pin.remaining(),
        is_default: pin.is_default(),
    })
}

/// `SKF_ClearSecureState`: logs this handle out of both PINs.
pub fn clear(app: Handle) -> Result<(), SkfError> {
    let mut table = handles::lock();
    AppContext::resolve(&table, app)?;
    if let Some(Object::App(session)) = table.get_mut(app) {
        session.admin = false;
        session.user = false;
    }
    Ok(())
}

/// Saves a PIN change before it is answered; a check that changed nothing
/// (a right PIN with all its tries, a locked PIN) writes nothing.
fn save_if_changed(
    context: &AppContext,
    record: &AppRecord,
    before: (PinRecord, PinRecord),
) -> Result<(), SkfError> {
    if record.pins() != before {
        context.save(record)?;
    }
    Ok(())
}

fn answer(check: Check, pin: &PinRecord) -> PinAnswer {
    let status = match check {
        Check::Correct => Ok(()),
        Check::Incorrect { .. } => Err(SkfError::PinIncorrect),
        Check::Locked => Err(SkfError::PinLocked),
    };
    PinAnswer {
        status,
        remaining: pin.remaining(),
    }
}

impl AppRecord {
    fn pins(&self) -> (PinRecord, PinRecord) {
        (self.admin_pin.clone(), self.user_pin.clone())
    }

    fn pin(&self, role: Role) -> &PinRecord {
        match role {
            Role::Admin => &self.admin_pin,
            Role::User => &self.user_pin,
        }
    }

    fn pin_mut(&mut self, role: Role) -> &mut PinRecord {
        match role {
            Role::Admin => &mut self.admin_pin,
            Role::User => &mut self.user_pin,
        }
    }
}
