//! Files in an application (GM/T 0016 §7.4): fixed size, with read and
//! write rights checked against the PINs verified on the handle.

use super::AppContext;
use crate::handles::{self, Handle};
use crate::store::{Blob, FileRecord, Name};
use crate::{SkfError, limits, sgd};

/// What `SKF_GetFileInfo` reports.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub name: Name,
    pub size: u32,
    pub read_rights: u32,
    pub write_rights: u32,
}

/// `SKF_CreateFile`: needs the application's create-file rights; the file
/// is `size` zero bytes.
pub fn create(
    app: Handle,
    name: Name,
    size: usize,
    read_rights: u32,
    write_rights: u32,
) -> Result<(), SkfError> {
    if !sgd::rights_valid(read_rights) || !sgd::rights_valid(write_rights) {
        return Err(SkfError::InvalidParam);
    }
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    allowed(record.create_file_rights, &context)?;
    if record.file(&name).is_some() {
        return Err(SkfError::AlreadyExists);
    }
    let used = context.dir.used_space()?;
    if record.files.len() >= limits::FILES_MAX
        || size > limits::FILE_SIZE_MAX
        || used + size as u64 > limits::TOTAL_SPACE
    {
        return Err(SkfError::NoRoom);
    }
    record.files.push(FileRecord {
        name,
        read_rights,
        write_rights,
        data: Blob(vec![0; size]),
    });
    context.save(&record)
}

/// `SKF_DeleteFile`: needs the application's create-file rights, as
/// creating it did.
pub fn delete(app: Handle, name: &Name) -> Result<(), SkfError> {
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    if record.file(name).is_none() {
        return Err(SkfError::NotFound);
    }
    allowed(record.create_file_rights, &context)?;
    record.files.retain(|file| &file.name != name);
    context.save(&record)
}

/// `SKF_EnumFiles`, in creation order.
pub fn list(app: Handle) -> Result<Vec<Name>, SkfError> {
    let table = handles::lock();
    let record = AppContext::resolve(&table, app)?.load()?;
    Ok(record.files.into_iter().map(|file| file.name).collect())
}

/// `SKF_GetFileInfo`.
pub fn info(app: Handle, name: &Name) -> Result<FileInfo, SkfError> {
    let table = handles::lock();
    let record = AppContext::resolve(&table, app)?.load()?;
    let file = record.file(name).ok_or(SkfError::NotFound)?;
    Ok(FileInfo {
        name: file.name.clone(),
        size: u32::try_from(file.data.0.len()).map_err(|_| SkfError::Storage)?,
        read_rights: file.read_rights,
        write_rights: file.write_rights,
    })
}

/// `SKF_ReadFile`: up to `len` bytes from `offset` (fewer at the end);
/// needs the file's read rights.
pub fn read(app: Handle, name: &Name, offset: usize, len: usize) -> Result<Vec<u8>, SkfError> {
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let record = context.load()?;
    let file = record.file(name).ok_or(SkfError::NotFound)?;
    allowed(file.read_rights, &context)?;
    let data = file.data.0.get(offset..).ok_or(SkfError::InputLength)?;
    Ok(data[..len.min(data.len())].to_vec())
}

/// `SKF_WriteFile`: `data` at `offset`, within the file's size; needs the
/// file's write rights.
pub fn write(app: Handle, name: &Name, offset: usize, data: &[u8]) -> Result<(), SkfError> {
    let table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    let mut record = context.load()?;
    let file = record.file_mut(name).ok_or(SkfError::NotFound)?;
    allowed(file.write_rights, &context)?;
    let end = offset
        .checked_add(data.len())
        .ok_or(SkfError::InputLength)?;
    let target = file
        .data
        .0
        .get_mut(offset..end)
        .ok_or(SkfError::InputLength)?;
    target.copy_from_slice(data);
    context.save(&record)
}

/// Whether the PINs verified on the handle meet `rights`:
/// `SAR_USER_NOT_LOGGED_IN` if a PIN would, `SAR_FAIL` if none can
/// (`SECURE_NEVER_ACCOUNT`; the standard has no access-denied code).
fn allowed(rights: u32, context: &AppContext) -> Result<(), SkfError> {
    let granted = rights == sgd::SECURE_ANYONE_ACCOUNT
        || (rights & sgd::SECURE_ADM_ACCOUNT != 0 && context.admin)
        || (rights & sgd::SECURE_USER_ACCOUNT != 0 && context.user);
    if granted {
        Ok(())
    } else if rights == sgd::SECURE_NEVER_ACCOUNT {
        Err(SkfError::Fail)
    } else {
        Err(SkfError::NotLoggedIn)
    }
}
