//! Devices: listing, connecting, information, random numbers and device
//! authentication (GM/T 0016 §7.1, §7.2.3, §7.6.2).

use sm2::elliptic_curve::subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{events, present_device, present_device_mut};
use crate::crypto::{self, sm4};
use crate::handles::{self, DeviceSession, Handle, Object};
use crate::store::Root;
use crate::{DEV_AUTH_KEY, SkfError, limits, sgd};

/// What `SKF_GetDevInfo` reports beyond constants.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub label: String,
    pub serial: String,
    pub total_space: u64,
    pub free_space: u64,
    /// RSA only: no SM2 in the capabilities.
    pub rsa_only: bool,
}

/// `SKF_EnumDev`: the devices plugged in now.
pub fn enumerate() -> Vec<String> {
    let root = Root::from_env();
    let names = root.as_ref().map(Root::devices).unwrap_or_default();
    events::observe(root.as_ref(), &names);
    names
}

/// `SKF_ConnectDev`; `SAR_DEVICE_REMOVED` if no such device is plugged in.
pub fn connect(name: &str) -> Result<Handle, SkfError> {
    let root = Root::from_env().ok_or(SkfError::DeviceRemoved)?;
    let dir = root.device(name).map_err(|_| SkfError::DeviceRemoved)?;
    let instance = dir.record()?.instance;
    let session = DeviceSession {
        dir,
        instance,
        challenge: None,
        authenticated: false,
    };
    Ok(handles::lock().insert(None, Object::Device(session)))
}

/// `SKF_DisConnectDev`: also for a device already pulled out, whose handle
/// must still be released.
pub fn disconnect(device: Handle) -> Result<(), SkfError> {
    let mut table = handles::lock();
    match table.get(device) {
        Some(Object::Device(_)) => {
            table.remove(device);
            Ok(())
        }
        _ => Err(SkfError::InvalidHandle),
    }
}

/// `SKF_GetDevState`.
pub fn state(name: &str) -> u32 {
    let present = Root::from_env().is_some_and(|root| root.device(name).is_ok());
    if present {
        sgd::DEV_PRESENT_STATE
    } else {
        sgd::DEV_ABSENT_STATE
    }
}

/// `SKF_GetDevInfo`.
pub fn info(device: Handle) -> Result<DeviceInfo, SkfError> {
    let table = handles::lock();
    let session = present_device(&table, device)?;
    let record = session.dir.record()?;
    let used = session.dir.used_space()?;
    Ok(DeviceInfo {
        label: record.label,
        serial: record.serial,
        total_space: limits::TOTAL_SPACE,
        free_space: limits::TOTAL_SPACE.saturating_sub(used),
        rsa_only: record.rsa_only,
    })
}

/// `SKF_LockDev` and `SKF_UnlockDev`: nothing to lock in one process, but
/// the handle is checked like any other.
pub fn check(device: Handle) -> Result<(), SkfError> {
    present_device(&handles::lock(), device).map(|_| ())
}

/// `SKF_GenRandom`. A random of at most 16 bytes also becomes the
/// challenge for `SKF_DevAuth` (vendors use 8).
pub fn random(device: Handle, len: usize) -> Result<Vec<u8>, SkfError> {
    if !(1..=limits::RANDOM_MAX).contains(&len) {
        return Err(SkfError::InvalidParam);
    }
    let mut table = handles::lock();
    let session = present_device_mut(&mut table, device)?;
    let mut bytes = vec![0u8; len];
    crypto::random(&mut bytes)?;
    if len <= sm4::BLOCK {
        let mut challenge = Zeroizing::new([0u8; sm4::BLOCK]);
        challenge[..len].copy_from_slice(&bytes);
        session.challenge = Some(challenge);
    }
    Ok(bytes)
}

/// `SKF_DevAuth`: `value` must be `SM4-ECB(DEV_AUTH_KEY, challenge)`. The
/// challenge is spent by the attempt, right or wrong, as on a card.
pub fn authenticate(device: Handle, value: &[u8]) -> Result<(), SkfError> {
    if value.len() != sm4::BLOCK {
        return Err(SkfError::InputLength);
    }
    let mut table = handles::lock();
    let session = present_device_mut(&mut table, device)?;
    let challenge = session.challenge.take().ok_or(SkfError::NotInitialized)?;
    let ecb = sm4::Mode {
        chaining: sm4::Chaining::Ecb,
        pad: false,
    };
    let expected = Zeroizing::new(sm4::encrypt(&DEV_AUTH_KEY, ecb, challenge.as_slice())?);
    if bool::from(expected.as_slice().ct_eq(value)) {
        session.authenticated = true;
        Ok(())
    } else {
        session.authenticated = false;
        Err(SkfError::Fail)
    }
}
