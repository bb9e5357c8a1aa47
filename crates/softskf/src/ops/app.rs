//! Applications (GM/T 0016 §7.3).

use super::{AppContext, present_device};
use crate::handles::{self, AppSession, Handle, Object};
use crate::pin::Pin;
use crate::store::{AppRecord, Name};
use crate::{SkfError, limits};

/// What `SKF_CreateApplication` is given.
pub struct NewApp {
    pub name: Name,
    pub admin_pin: Pin,
    pub admin_retries: u32,
    pub user_pin: Pin,
    pub user_retries: u32,
    pub create_file_rights: u32,
}

impl NewApp {
    fn into_record(self) -> Result<AppRecord, SkfError> {
        AppRecord::new(
            self.name,
            (&self.admin_pin, self.admin_retries),
            (&self.user_pin, self.user_retries),
            self.create_file_rights,
        )
    }
}

/// `SKF_CreateApplication`: needs device authentication on `device`, as the
/// standard asks. The new application is open on the returned handle, with
/// no PIN verified.
pub fn create(device: Handle, new: NewApp) -> Result<Handle, SkfError> {
    let mut table = handles::lock();
    let session = present_device(&table, device)?;
    if !session.authenticated {
        return Err(SkfError::NotLoggedIn);
    }
    let existing = session.dir.app_names()?;
    if existing.contains(&new.name) {
        return Err(SkfError::ApplicationExists);
    }
    if existing.len() >= limits::APPS_MAX {
        return Err(SkfError::NoRoom);
    }
    let record = new.into_record()?;
    session.dir.save_app(&record)?;
    Ok(table.insert(Some(device), Object::App(AppSession::new(record.name))))
}

/// `SKF_EnumApplication`.
pub fn list(device: Handle) -> Result<Vec<Name>, SkfError> {
    Ok(present_device(&handles::lock(), device)?.dir.app_names()?)
}

/// `SKF_DeleteApplication`: needs device authentication. Every handle of the
/// process open on the application is closed with it.
pub fn delete(device: Handle, name: &Name) -> Result<(), SkfError> {
    let mut table = handles::lock();
    let session = present_device(&table, device)?;
    if !session.authenticated {
        return Err(SkfError::NotLoggedIn);
    }
    let dir = session.dir.path().to_owned();
    if !session.dir.delete_app(name)? {
        return Err(SkfError::ApplicationNotFound);
    }
    let open: Vec<Handle> = table
        .handles()
        .filter(|handle| match table.get(*handle) {
            Some(Object::App(app)) => {
                &app.name == name
                    && AppContext::resolve(&table, *handle)
                        .is_ok_and(|context| context.dir.path() == dir)
            }
            _ => false,
        })
        .collect();
    for handle in open {
        table.remove(handle);
    }
    Ok(())
}

/// `SKF_OpenApplication`.
pub fn open(device: Handle, name: Name) -> Result<Handle, SkfError> {
    let mut table = handles::lock();
    let session = present_device(&table, device)?;
    if session.dir.load_app(&name)?.is_none() {
        return Err(SkfError::ApplicationNotFound);
    }
    Ok(table.insert(Some(device), Object::App(AppSession::new(name))))
}

/// `SKF_CloseApplication`: forgets the PINs verified on it and closes its
/// containers.
pub fn close(app: Handle) -> Result<(), SkfError> {
    let mut table = handles::lock();
    match table.get(app) {
        Some(Object::App(_)) => {
            table.remove(app);
            Ok(())
        }
        _ => Err(SkfError::InvalidHandle),
    }
}

impl AppSession {
    fn new(name: Name) -> Self {
        AppSession {
            name,
            admin: false,
            user: false,
        }
    }
}
