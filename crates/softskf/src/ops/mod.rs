//! What each SKF function does, on typed values. The C layer (`abi`) checks
//! and converts the arguments, then calls one function here; nothing here
//! touches a pointer.
//!
//! Every operation runs with the handle table locked, and reads the device's
//! state from the store afresh, so two handles (or a reload) see the same
//! counters and keys. A handle whose device was pulled out answers
//! `SAR_DEVICE_REMOVED` before anything else is looked at.

pub mod app;
pub mod container;
pub mod device;
pub mod digest;
pub mod ecc;
pub mod events;
pub mod file;
pub mod login;
pub mod symm;

use crate::SkfError;
use crate::handles::{DeviceSession, Handle, Object, Table};
use crate::store::{AppRecord, ContainerRecord, DeviceDir, Name};

/// An application handle resolved: where its application lives and who is
/// logged in on it.
struct AppContext {
    dir: DeviceDir,
    name: Name,
    admin: bool,
    user: bool,
}

/// A container handle resolved.
struct ContainerContext {
    app: AppContext,
    name: Name,
}

impl AppContext {
    fn resolve(table: &Table, handle: Handle) -> Result<Self, SkfError> {
        let Some(Object::App(session)) = table.get(handle) else {
            return Err(SkfError::InvalidHandle);
        };
        let device = table.parent(handle).ok_or(SkfError::InvalidHandle)?;
        let device = present_device(table, device)?;
        Ok(AppContext {
            dir: device.dir.clone(),
            name: session.name.clone(),
            admin: session.admin,
            user: session.user,
        })
    }

    /// The application's current state; `SAR_APPLICATION_NOT_EXISTS` if it
    /// was deleted since it was opened.
    fn load(&self) -> Result<AppRecord, SkfError> {
        self.dir
            .load_app(&self.name)?
            .ok_or(SkfError::ApplicationNotFound)
    }

    fn save(&self, app: &AppRecord) -> Result<(), SkfError> {
        Ok(self.dir.save_app(app)?)
    }

    /// Operations on keys need the user PIN, verified on this handle.
    fn require_user(&self) -> Result<(), SkfError> {
        if self.user {
            Ok(())
        } else {
            Err(SkfError::NotLoggedIn)
        }
    }
}

impl ContainerContext {
    fn resolve(table: &Table, handle: Handle) -> Result<Self, SkfError> {
        let Some(Object::Container(session)) = table.get(handle) else {
            return Err(SkfError::InvalidHandle);
        };
        let app = table.parent(handle).ok_or(SkfError::InvalidHandle)?;
        Ok(ContainerContext {
            app: AppContext::resolve(table, app)?,
            name: session.name.clone(),
        })
    }

    /// The container's current state.
    fn load(&self) -> Result<ContainerRecord, SkfError> {
        self.app
            .load()?
            .container(&self.name)
            .cloned()
            .ok_or(SkfError::NotFound)
    }

    /// Changes the container and saves its application; nothing is saved if
    /// `change` fails.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T, SkfError>,
    ) -> Result<T, SkfError> {
        let mut app = self.app.load()?;
        let container = app.container_mut(&self.name).ok_or(SkfError::NotFound)?;
        let answer = change(container)?;
        self.app.save(&app)?;
        Ok(answer)
    }
}

/// The session of a device handle whose device is still plugged in.
fn present_device(table: &Table, handle: Handle) -> Result<&DeviceSession, SkfError> {
    let Some(Object::Device(session)) = table.get(handle) else {
        return Err(SkfError::InvalidHandle);
    };
    check_present(session)?;
    Ok(session)
}

/// Like [`present_device`], to change the session.
fn present_device_mut(table: &mut Table, handle: Handle) -> Result<&mut DeviceSession, SkfError> {
    let Some(Object::Device(session)) = table.get_mut(handle) else {
        return Err(SkfError::InvalidHandle);
    };
    check_present(session)?;
    Ok(session)
}

/// `SAR_DEVICE_REMOVED` if the device is gone, or was replaced by another
/// under the same name.
fn check_present(session: &DeviceSession) -> Result<(), SkfError> {
    if session.dir.record()?.instance == session.instance {
        Ok(())
    } else {
        Err(SkfError::DeviceRemoved)
    }
}

/// The device handle above a hash or key handle, checked present.
fn device_above(table: &Table, handle: Handle) -> Result<(), SkfError> {
    let device = table.parent(handle).ok_or(SkfError::InvalidHandle)?;
    present_device(table, device).map(|_| ())
}
