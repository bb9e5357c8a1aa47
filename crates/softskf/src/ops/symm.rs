//! SM4 with a session key given in clear (GM/T 0016 §7.6.25–7.6.33, the
//! single-call forms only). Its use here is device authentication: the
//! caller encrypts the challenge with the device key, as vendor middleware
//! does, before `SKF_DevAuth`.

use zeroize::Zeroizing;

use super::{device_above, present_device};
use crate::crypto::sm4;
use crate::handles::{self, Handle, KeySession, Object, Operation, Table};
use crate::{SkfError, limits, sgd};

/// `SKF_SetSymmKey`: an SM4 key (16 bytes) for ECB or CBC.
pub fn set_key(device: Handle, key: &sm4::Key, algorithm: u32) -> Result<Handle, SkfError> {
    let cbc = match algorithm {
        sgd::SGD_SM4_ECB => false,
        sgd::SGD_SM4_CBC => true,
        _ => return Err(SkfError::NotSupported),
    };
    let mut table = handles::lock();
    present_device(&table, device)?;
    let session = KeySession {
        key: Zeroizing::new(*key),
        cbc,
        operation: None,
    };
    Ok(table.insert(Some(device), Object::Key(session)))
}

/// `SKF_EncryptInit` / `SKF_DecryptInit`: `padding` 0 (none) or 1
/// (PKCS#5); CBC needs a 16-byte IV.
pub fn init(key: Handle, encrypt: bool, iv: &[u8], padding: u32) -> Result<(), SkfError> {
    let pad = match padding {
        0 => false,
        1 => true,
        _ => return Err(SkfError::InvalidParam),
    };
    let mut table = handles::lock();
    let session = session(&mut table, key)?;
    let chaining = if session.cbc {
        let iv = iv.try_into().map_err(|_| SkfError::InvalidParam)?;
        sm4::Chaining::Cbc { iv }
    } else {
        sm4::Chaining::Ecb
    };
    session.operation = Some(Operation {
        encrypt,
        mode: sm4::Mode { chaining, pad },
    });
    Ok(())
}

/// `SKF_Encrypt` / `SKF_Decrypt`, without ending the operation: the caller
/// ends it with [`finish`] once the result was delivered (a size query does
/// not end it).
pub fn run(key: Handle, encrypt: bool, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, SkfError> {
    if data.len() > limits::BUFFER_MAX {
        return Err(SkfError::InputLength);
    }
    let mut table = handles::lock();
    let session = session(&mut table, key)?;
    let operation = session
        .operation
        .filter(|operation| operation.encrypt == encrypt)
        .ok_or(SkfError::NotInitialized)?;
    if encrypt {
        sm4::encrypt(&session.key, operation.mode, data).map(Zeroizing::new)
    } else {
        sm4::decrypt(&session.key, operation.mode, data)
    }
}

/// Ends the operation begun by `init`: the next call needs a new init.
pub fn finish(key: Handle) -> Result<(), SkfError> {
    session(&mut handles::lock(), key)?.operation = None;
    Ok(())
}

/// The session of a key handle, its device checked present.
fn session(table: &mut Table, key: Handle) -> Result<&mut KeySession, SkfError> {
    if !matches!(table.get(key), Some(Object::Key(_))) {
        return Err(SkfError::InvalidHandle);
    }
    device_above(table, key)?;
    match table.get_mut(key) {
        Some(Object::Key(session)) => Ok(session),
        _ => Err(SkfError::InvalidHandle),
    }
}
