//! API keys for the issuing API (`POST /api/v1/ca/issue`): an integrator's
//! system, such as an RA front end that vets applicants itself, acts for one
//! staff account whose role may issue. `certhall staff api-key NAME` prints a
//! key once; only its SHA-256 is stored. Disabling the account stops its keys.

use domain::Perm;
use serde_json::json;
use store::Db;
use store::api_keys::{self, NewApiKey};
use store::{audit, staff};

use super::{StaffMember, member};
use crate::{Msg, RaError, new_id, random};

/// Keys start with this, so a leaked one is recognisable in a scanner's hit.
const PREFIX: &str = "chk_";

/// Creates a key for the named account; returns it (shown once).
pub async fn create(
    db: &Db,
    now: i64,
    name: &str,
    label: &str,
    by: &str,
) -> Result<String, RaError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 64 {
        return Err(RaError::Invalid(Msg::new(
            "--label: 1 to 64 characters naming the system that uses the key",
        )));
    }
    let mut tx = db.begin().await?;
    let row = staff::by_name(&mut tx, name)
        .await?
        .filter(|r| r.disabled_at.is_none())
        .ok_or_else(|| {
            RaError::Invalid(Msg::new("没有名为 {name} 的工作人员").arg("name", name))
        })?;
    if !member(&row)?.role.may(Perm::Issue) {
        return Err(RaError::Invalid(
            Msg::new("{name} 的角色不能使用签发接口").arg("name", name),
        ));
    }
    let key = format!("{PREFIX}{}", random::token());
    let id = new_id();
    api_keys::insert(
        &mut tx,
        &NewApiKey {
            id: &id,
            staff_id: &row.id,
            key_hash: &random::hash(&key),
            label,
            created_at: now,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        db.audit_key()?,
        now,
        &audit::Event {
            actor: by,
            action: "api_key.created",
            object: &id,
            details: json!({ "staff": name, "label": label }),
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(staff = %name, label = %label, "API key created");
    Ok(key)
}

/// The account a request's key acts for. Every failure is the same answer.
pub async fn authenticate(db: &Db, key: &str) -> Result<StaffMember, RaError> {
    if !key.starts_with(PREFIX) || key.len() > 128 {
        return Err(RaError::BadApiKey);
    }
    let holder = api_keys::holder(&mut *db.conn().await?, &random::hash(key))
        .await?
        .ok_or(RaError::BadApiKey)?;
    Ok(StaffMember {
        id: holder.staff_id,
        role: holder.role.parse().map_err(|_| RaError::BadApiKey)?,
        name: holder.name,
        mobile: holder.mobile,
    })
}
