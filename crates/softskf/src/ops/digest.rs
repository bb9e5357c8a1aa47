//! SM3 hashing (GM/T 0016 §7.6.34–7.6.37), the first half of an SKF
//! signature: with a public key, the hash starts with that key's Z value, so
//! the result is the `e` that `SKF_ECCSignData` signs.

use sm3::{Digest, Sm3};

use super::{device_above, present_device};
use crate::crypto::{self, PublicPoint, SM3_LEN};
use crate::handles::{self, Handle, HashSession, Object};
use crate::{SkfError, limits, sgd};

/// `SKF_DigestInit`. With `signer`, the hash begins with
/// `Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)`; an empty `id` means
/// the default `1234567812345678`.
pub fn init(
    device: Handle,
    algorithm: u32,
    signer: Option<&PublicPoint>,
    id: &[u8],
) -> Result<Handle, SkfError> {
    if algorithm != sgd::SGD_SM3 {
        return Err(SkfError::NotSupported);
    }
    if id.len() > limits::ID_MAX {
        return Err(SkfError::InputLength);
    }
    let mut table = handles::lock();
    present_device(&table, device)?;
    let mut sm3 = Sm3::new();
    if let Some(signer) = signer {
        let id = if id.is_empty() {
            crypto::sm2::DEFAULT_ID
        } else {
            id
        };
        sm3.update(crypto::sm2::z_value(id, signer)?);
    }
    let session = HashSession { sm3: Some(sm3) };
    Ok(table.insert(Some(device), Object::Hash(session)))
}

/// `SKF_DigestUpdate`.
pub fn update(hash: Handle, data: &[u8]) -> Result<(), SkfError> {
    let mut table = handles::lock();
    let sm3 = slot(&mut table, hash)?
        .as_mut()
        .ok_or(SkfError::HashObject)?;
    sm3.update(data);
    Ok(())
}

/// `SKF_DigestFinal`, and `SKF_Digest` with its data: ends the hash (the
/// handle stays open until `SKF_CloseHandle`, refusing more data).
pub fn finish(hash: Handle, data: &[u8]) -> Result<[u8; SM3_LEN], SkfError> {
    let mut table = handles::lock();
    let mut sm3 = slot(&mut table, hash)?.take().ok_or(SkfError::HashObject)?;
    sm3.update(data);
    Ok(sm3.finalize().into())
}

/// `SKF_CloseHandle`: closes a hash or a session key handle. Devices,
/// applications and containers have their own close functions.
pub fn close_handle(handle: Handle) -> Result<(), SkfError> {
    let mut table = handles::lock();
    match table.get(handle) {
        Some(Object::Hash(_) | Object::Key(_)) => {
            table.remove(handle);
            Ok(())
        }
        _ => Err(SkfError::InvalidHandle),
    }
}

/// The hash state of `hash` (`None` once finished), its device checked
/// present.
fn slot(table: &mut handles::Table, hash: Handle) -> Result<&mut Option<Sm3>, SkfError> {
    if !matches!(table.get(hash), Some(Object::Hash(_))) {
        return Err(SkfError::InvalidHandle);
    }
    device_above(table, hash)?;
    match table.get_mut(hash) {
        Some(Object::Hash(session)) => Ok(&mut session.sm3),
        _ => Err(SkfError::InvalidHandle),
    }
}
