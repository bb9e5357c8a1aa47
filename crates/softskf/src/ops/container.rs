//! Containers and their certificates (GM/T 0016 §7.5).

use super::{AppContext, ContainerContext};
use crate::handles::{self, ContainerSession, Handle, Object};
use crate::store::{Blob, ContainerRecord, Name};
use crate::{SkfError, limits, sgd};

/// `SKF_CreateContainer`: needs the user PIN. The new container is open on
/// the returned handle.
pub fn create(app: Handle, name: Name) -> Result<Handle, SkfError> {
    let mut table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    context.require_user()?;
    let mut record = context.load()?;
    if record.container(&name).is_some() {
        return Err(SkfError::AlreadyExists);
    }
    if record.containers.len() >= limits::CONTAINERS_MAX {
        return Err(SkfError::TooManyContainers);
    }
    record.containers.push(ContainerRecord::new(name.clone()));
    context.save(&record)?;
    Ok(table.insert(Some(app), Object::Container(ContainerSession { name })))
}

/// `SKF_DeleteContainer`: needs the user PIN; destroys its keys and
/// certificates, and closes its handles under `app`.
pub fn delete(app: Handle, name: &Name) -> Result<(), SkfError> {
    let mut table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    context.require_user()?;
    let mut record = context.load()?;
    let before = record.containers.len();
    record
        .containers
        .retain(|container| &container.name != name);
    if record.containers.len() == before {
        return Err(SkfError::NotFound);
    }
    context.save(&record)?;
    let open: Vec<Handle> = table
        .handles()
        .filter(|handle| {
            table.parent(*handle) == Some(app)
                && matches!(table.get(*handle), Some(Object::Container(c)) if &c.name == name)
        })
        .collect();
    for handle in open {
        table.remove(handle);
    }
    Ok(())
}

/// `SKF_OpenContainer`.
pub fn open(app: Handle, name: Name) -> Result<Handle, SkfError> {
    let mut table = handles::lock();
    let context = AppContext::resolve(&table, app)?;
    if context.load()?.container(&name).is_none() {
        return Err(SkfError::NotFound);
    }
    Ok(table.insert(Some(app), Object::Container(ContainerSession { name })))
}

/// `SKF_CloseContainer`.
pub fn close(container: Handle) -> Result<(), SkfError> {
    let mut table = handles::lock();
    match table.get(container) {
        Some(Object::Container(_)) => {
            table.remove(container);
            Ok(())
        }
        _ => Err(SkfError::InvalidHandle),
    }
}

/// `SKF_EnumContainer`, in creation order.
pub fn list(app: Handle) -> Result<Vec<Name>, SkfError> {
    let table = handles::lock();
    let record = AppContext::resolve(&table, app)?.load()?;
    Ok(record.containers.into_iter().map(|c| c.name).collect())
}

/// `SKF_GetContainerType`: ECC once it holds a key pair, else empty (this
/// key has no RSA).
pub fn kind(container: Handle) -> Result<u32, SkfError> {
    let table = handles::lock();
    let record = ContainerContext::resolve(&table, container)?.load()?;
    Ok(if record.sign_key.is_some() || record.enc_key.is_some() {
        sgd::CONTAINER_ECC
    } else {
        sgd::CONTAINER_EMPTY
    })
}

/// `SKF_ImportCertificate`: needs the user PIN; replaces the slot's
/// certificate. The bytes are kept as given (DER, by convention).
pub fn import_certificate(container: Handle, sign: bool, cert: &[u8]) -> Result<(), SkfError> {
    if cert.is_empty() || cert.len() > limits::CERT_SIZE_MAX {
        return Err(SkfError::InputLength);
    }
    let table = handles::lock();
    let context = ContainerContext::resolve(&table, container)?;
    context.app.require_user()?;
    let used = context.app.dir.used_space()?;
    context.update(|record| {
        let slot = if sign {
            &mut record.sign_cert
        } else {
            &mut record.enc_cert
        };
        let freed = slot.as_ref().map_or(0, |old| old.0.len() as u64);
        if used.saturating_sub(freed) + cert.len() as u64 > limits::TOTAL_SPACE {
            return Err(SkfError::NoRoom);
        }
        *slot = Some(Blob(cert.to_vec()));
        Ok(())
    })
}

/// `SKF_ExportCertificate`.
pub fn export_certificate(container: Handle, sign: bool) -> Result<Vec<u8>, SkfError> {
    let table = handles::lock();
    let record = ContainerContext::resolve(&table, container)?.load()?;
    let slot = if sign {
        record.sign_cert
    } else {
        record.enc_cert
    };
    slot.map(|cert| cert.0).ok_or(SkfError::CertNotFound)
}
