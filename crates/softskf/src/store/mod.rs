//! The device directory: `$SOFTSKF_DIR/<device>/` is a plugged-in key.
//!
//! ```text
//! $SOFTSKF_DIR/
//!   key1/device.json             the device (label, serial, instance)
//!   key1/apps/<hex name>.json    one application, everything in it
//! ```
//!
//! A device appears and disappears whole: it is made under a dot name and
//! renamed into place, and removed by being renamed to a dot name first, so a
//! process polling the directory never meets half a device. Each change to an
//! application rewrites its file atomically ([`atomic`]).

mod atomic;
pub mod model;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

pub use self::model::{
    AppRecord, Blob, ContainerRecord, DeviceRecord, FileRecord, Name, PrivateKey,
};
use crate::{SkfError, crypto, limits};

/// The environment variable naming the directory of devices.
pub const DIR_VARIABLE: &str = "SOFTSKF_DIR";

const DEVICE_FILE: &str = "device.json";
const APPS_DIR: &str = "apps";

/// A failure of the store, with the path it concerns (for `softskf-util`'s
/// messages; the C interface reduces it to a `SAR_*` code).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a softskf file ({source})", path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: layout version {found}, this softskf reads {FORMAT}", path.display(), FORMAT = model::FORMAT)]
    Format { path: PathBuf, found: u32 },
    #[error("{}: no such device", .0.display())]
    NoDevice(PathBuf),
    #[error("{}: already exists", .0.display())]
    Exists(PathBuf),
    #[error("{0:?}: a device name is 1 to 31 bytes of UTF-8, without '/', NUL or a leading '.'")]
    BadDeviceName(String),
    #[error("{0}: at most 31 bytes")]
    TooLong(&'static str),
}

/// The directory of devices.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
}

/// One device's directory.
#[derive(Debug, Clone)]
pub struct DeviceDir {
    path: PathBuf,
}

impl Root {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Root { path: path.into() }
    }

    /// `$SOFTSKF_DIR`, read now; `None` if unset or empty (no devices). A
    /// relative path is made absolute now, so that handles keep pointing
    /// at their device if the process changes directory.
    pub fn from_env() -> Option<Self> {
        let dir = std::env::var_os(DIR_VARIABLE).filter(|dir| !dir.is_empty())?;
        Some(Root::new(
            std::path::absolute(&dir).unwrap_or_else(|_| dir.into()),
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the devices present, sorted. A missing directory has
    /// none; entries that are not devices are skipped.
    pub fn devices(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| check_device_name(name).is_ok())
            .filter(|name| self.path.join(name).join(DEVICE_FILE).is_file())
            .collect();
        names.sort();
        names
    }

    /// The device called `name`; `NoDevice` if it is not plugged in.
    pub fn device(&self, name: &str) -> Result<DeviceDir, StoreError> {
        check_device_name(name)?;
        let path = self.path.join(name);
        if path.join(DEVICE_FILE).is_file() {
            Ok(DeviceDir { path })
        } else {
            Err(StoreError::NoDevice(path))
        }
    }

    /// Makes a device holding `apps` (none: a blank key, as sold) and plugs
    /// it in.
    pub fn create_device(
        &self,
        name: &str,
        label: &str,
        serial: &str,
        apps: &[AppRecord],
    ) -> Result<DeviceDir, StoreError> {
        check_device_name(name)?;
        if label.len() > limits::DEVICE_TEXT_MAX {
            return Err(StoreError::TooLong("label"));
        }
        if serial.len() > limits::DEVICE_TEXT_MAX {
            return Err(StoreError::TooLong("serial number"));
        }
        let mut instance = [0u8; 16];
        crypto::random(&mut instance).map_err(|_| StoreError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("no random source"),
        })?;
        let record = DeviceRecord {
            format: model::FORMAT,
            instance,
            label: label.to_owned(),
            serial: serial.to_owned(),
            rsa_only: false,
        };

        let target = self.path.join(name);
        if target.exists() {
            return Err(StoreError::Exists(target));
        }
        fs::create_dir_all(&self.path).map_err(io(&self.path))?;
        let staging = atomic::temporary_sibling(&target).map_err(io(&target))?;
        let built = (|| {
            fs::create_dir(&staging).map_err(io(&staging))?;
            fs::create_dir(staging.join(APPS_DIR)).map_err(io(&staging))?;
            let json =
                serde_json::to_vec_pretty(&record).map_err(|source| StoreError::Corrupt {
                    path: staging.join(DEVICE_FILE),
                    source,
                })?;
            atomic::write_file(&staging.join(DEVICE_FILE), &json).map_err(io(&staging))?;
            let staged = DeviceDir {
                path: staging.clone(),
            };
            for app in apps {
                staged.save_app(app)?;
            }
            fs::rename(&staging, &target).map_err(io(&target))?;
            atomic::sync_parent(&target).map_err(io(&target))
        })();
        if built.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        built.map(|()| DeviceDir { path: target })
    }

    /// Unplugs and deletes the device called `name`.
    pub fn remove_device(&self, name: &str) -> Result<(), StoreError> {
        let device = self.device(name)?;
        let parked = atomic::temporary_sibling(&device.path).map_err(io(&device.path))?;
        fs::rename(&device.path, &parked).map_err(io(&device.path))?;
        fs::remove_dir_all(&parked).map_err(io(&parked))
    }
}

impl DeviceDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `device.json`; `NoDevice` once the device is removed.
    pub fn record(&self) -> Result<DeviceRecord, StoreError> {
        let path = self.path.join(DEVICE_FILE);
        let bytes = match fs::read(&path) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::NoDevice(self.path.clone()));
            }
            other => other.map_err(io(&path))?,
        };
        let record: DeviceRecord =
            serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        if record.format != model::FORMAT {
            return Err(StoreError::Format {
                path,
                found: record.format,
            });
        }
        Ok(record)
    }

    /// The applications' names, sorted.
    pub fn app_names(&self) -> Result<Vec<Name>, StoreError> {
        let dir = self.path.join(APPS_DIR);
        let entries = match fs::read_dir(&dir) {
            // A device folder made by hand, without applications yet.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            other => other.map_err(io(&dir))?,
        };
        let mut names = Vec::new();
        for entry in entries {
            let file = entry.map_err(io(&dir))?.file_name();
            // Skips temporary files (dot names) and strays that are not ours.
            let name = file
                .to_str()
                .and_then(|file| file.strip_suffix(".json"))
                .and_then(|stem| hex::decode(stem).ok())
                .and_then(|bytes| Name::new(&bytes, usize::MAX).ok());
            names.extend(name);
        }
        names.sort();
        Ok(names)
    }

    /// The application called `name`, if there is one.
    pub fn load_app(&self, name: &Name) -> Result<Option<AppRecord>, StoreError> {
        let path = self.app_path(name);
        let bytes = match fs::read(&path) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            other => Zeroizing::new(other.map_err(io(&path))?),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StoreError::Corrupt { path, source })
    }

    /// Writes `app` over its previous state.
    pub fn save_app(&self, app: &AppRecord) -> Result<(), StoreError> {
        let path = self.app_path(&app.name);
        let dir = self.path.join(APPS_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let json = serde_json::to_vec_pretty(app)
            .map(Zeroizing::new)
            .map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        atomic::write_file(&path, &json).map_err(io(&path))
    }

    /// Deletes the application called `name`; `false` if there was none.
    pub fn delete_app(&self, name: &Name) -> Result<bool, StoreError> {
        let path = self.app_path(name);
        match fs::remove_file(&path) {
            Ok(()) => {
                atomic::sync_parent(&path).map_err(io(&path))?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    /// Bytes used by all applications' files and certificates.
    pub fn used_space(&self) -> Result<u64, StoreError> {
        let mut used = 0;
        for name in self.app_names()? {
            if let Some(app) = self.load_app(&name)? {
                used += app.used_space();
            }
        }
        Ok(used)
    }

    /// Application names are any bytes; hex makes them safe file names.
    fn app_path(&self, name: &Name) -> PathBuf {
        self.path
            .join(APPS_DIR)
            .join(format!("{}.json", hex::encode(name.as_bytes())))
    }
}

impl From<StoreError> for SkfError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoDevice(_) => SkfError::DeviceRemoved,
            _ => SkfError::Storage,
        }
    }
}

/// A device name becomes a folder name and a list entry: UTF-8, no path
/// separator, no NUL, not a dot name (those are this store's temporaries).
fn check_device_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= limits::DEVICE_TEXT_MAX
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0']);
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadDeviceName(name.to_owned()))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_appears_whole_and_goes_away_whole() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        assert!(root.devices().is_empty());
        let device = root.create_device("key1", "Label", "SN1", &[]).unwrap();
        assert_eq!(root.devices(), ["key1"]);
        assert_eq!(device.record().unwrap().label, "Label");
        assert!(device.app_names().unwrap().is_empty());
        assert!(matches!(
            root.create_device("key1", "", "", &[]),
            Err(StoreError::Exists(_))
        ));

        root.remove_device("key1").unwrap();
        assert!(root.devices().is_empty());
        assert!(matches!(device.record(), Err(StoreError::NoDevice(_))));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn device_names_that_cannot_be_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        for bad in ["", ".hidden", "a/b", "..", &"k".repeat(32)] {
            assert!(root.create_device(bad, "", "", &[]).is_err(), "{bad:?}");
        }
    }
}
