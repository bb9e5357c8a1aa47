//! Account administration from the command line (`certhall staff …`): needs the
//! database only, not a running RA. Each change is audited with the operator.

use domain::{Mobile, Role};
use serde_json::json;
use store::Db;
use store::audit;
use store::staff::{self, StaffRow};

use super::{SETUP_TTL_MS, check_name};
use crate::{Msg, RaError, new_id, random};

async fn audited(
    db: &Db,
    now: i64,
    by: &str,
    action: &str,
    object: &str,
    details: serde_json::Value,
    change: impl AsyncFnOnce(&mut store::AnyConnection) -> Result<(), RaError>,
) -> Result<(), RaError> {
    let mut tx = db.begin().await?;
    change(&mut tx).await?;
    audit::append(
        &mut tx,
        db.audit_key()?,
        now,
        &audit::Event {
            actor: by,
            action,
            object,
            details,
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Creates an account and returns its one-time set-up token.
pub async fn add(
    db: &Db,
    now: i64,
    name: &str,
    role: Role,
    mobile: Option<&Mobile>,
    by: &str,
) -> Result<String, RaError> {
    check_name(name)?;
    let token = random::token();
    let row = StaffRow {
        id: new_id(),
        name: name.to_string(),
        role: role.key().into(),
        mobile: mobile.map(|m| m.as_str().to_string()),
        password_hash: None,
        totp_secret: None,
        totp_last_step: 0,
        setup_hash: Some(random::hash(&token)),
        setup_expires_at: Some(now + SETUP_TTL_MS),
        failed_count: 0,
        locked_until: 0,
        created_at: now,
        last_sign_in_at: None,
        disabled_at: None,
    };
    audited(
        db,
        now,
        by,
        "staff.added",
        &row.id,
        json!({ "name": name, "role": role.key() }),
        async |tx| match staff::insert(tx, &row).await {
            Ok(()) => Ok(()),
            Err(store::StoreError::Duplicate(_)) => Err(RaError::Conflict(
                Msg::new("用户名 {name} 已存在").arg("name", name),
            )),
            Err(e) => Err(e.into()),
        },
    )
    .await?;
    tracing::info!(staff = %name, role = %role, "staff account created");
    Ok(token)
}

async fn named(db: &Db, name: &str) -> Result<StaffRow, RaError> {
    staff::by_name(&mut *db.conn().await?, name)
        .await?
        .ok_or_else(|| RaError::Invalid(Msg::new("没有名为 {name} 的工作人员").arg("name", name)))
}

/// A new set-up link for an existing account (forgotten password, lost phone):
/// the old password, authenticator and sessions stop working at once.
pub async fn reset(db: &Db, now: i64, name: &str, by: &str) -> Result<String, RaError> {
    let row = named(db, name).await?;
    let token = random::token();
    audited(
        db,
        now,
        by,
        "staff.reset",
        &row.id,
        json!({ "name": name }),
        async |tx| {
            staff::reset(tx, &row.id, &random::hash(&token), now + SETUP_TTL_MS).await?;
            // A reset answers a lost or leaked credential: the API keys go too.
            store::api_keys::revoke_all(tx, &row.id, now).await?;
            Ok(())
        },
    )
    .await?;
    Ok(token)
}

/// Disables an account and ends its sessions.
pub async fn disable(db: &Db, now: i64, name: &str, by: &str) -> Result<(), RaError> {
    let row = named(db, name).await?;
    audited(
        db,
        now,
        by,
        "staff.disabled",
        &row.id,
        json!({ "name": name }),
        async |tx| {
            staff::disable(tx, &row.id, now).await?;
            store::api_keys::revoke_all(tx, &row.id, now).await?;
            Ok(())
        },
    )
    .await
}

pub async fn list(db: &Db) -> Result<Vec<StaffRow>, RaError> {
    Ok(staff::all(&mut *db.conn().await?).await?)
}
