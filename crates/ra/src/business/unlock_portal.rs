//! 找回密码 from the portal. A holder signed in with a mobile (the SMS check)
//! sees in 个人中心 the keys whose PIN resets go to that mobile, and may start a
//! reset for one: with `portal.unlock_review` the request waits for a reviewer,
//! otherwise it is approved at once. Either way the reset itself happens in the
//! assistant with the key inserted (`certhall-assistant unlock`: a fresh code
//! to the same mobile, then the SO PIN sets the new PIN), which uses the
//! approved request up. 个人中心 shows each key's latest request and last reset.

use domain::Mobile;
use serde_json::json;
use store::escrow::{self, UnlockRequestRow};
use store::holders;

use crate::{Ra, RaError, new_id};

/// One of the holder's keys, as 个人中心 lists it.
#[derive(Debug, Clone)]
pub struct HolderToken {
    pub serial: String,
    pub mobile_masked: String,
    /// The last time its SO PIN was released for a reset.
    pub released_at: Option<i64>,
    pub latest: Option<UnlockRequestRow>,
}

/// Where a reset started from the portal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockStart {
    /// Waiting for a reviewer.
    Pending,
    /// Approved: the holder finishes in the assistant.
    Ready,
}

impl Ra {
    async fn holder_mobile(&self, holder_id: &str) -> Result<Mobile, RaError> {
        let h = holders::by_id(&mut *self.db.conn().await?, holder_id)
            .await?
            .ok_or(RaError::NotFound)?;
        Mobile::parse(&h.mobile).map_err(|_| RaError::NotFound)
    }

    /// The keys registered with the holder's mobile.
    pub async fn tokens_of(
        &self,
        holder: &holders::HolderRow,
    ) -> Result<Vec<HolderToken>, RaError> {
        let mobile = Mobile::parse(&holder.mobile).map_err(|_| RaError::NotFound)?;
        let mut conn = self.db.conn().await?;
        let mut out = Vec::new();
        for row in escrow::for_mobile(&mut conn, mobile.as_str()).await? {
            let latest = escrow::latest_request(&mut conn, &row.token_serial).await?;
            out.push(HolderToken {
                mobile_masked: mobile.masked(),
                released_at: row.released_at,
                latest,
                serial: row.token_serial,
            });
        }
        Ok(out)
    }

    /// Starts a PIN reset for one of the holder's keys (anyone else's is
    /// `NotFound`). A request already waiting or approved is kept.
    pub async fn portal_unlock(
        &self,
        holder_id: &str,
        token_serial: &str,
    ) -> Result<UnlockStart, RaError> {
        let mobile = self.holder_mobile(holder_id).await?;
        let mut conn = self.db.conn().await?;
        let row = escrow::get(&mut conn, token_serial.trim())
            .await?
            .filter(|r| r.mobile == mobile.as_str())
            .ok_or(RaError::NotFound)?;
        match escrow::latest_request(&mut conn, &row.token_serial)
            .await?
            .map(|r| r.state)
        {
            Some(domain::UnlockState::Pending) => return Ok(UnlockStart::Pending),
            Some(domain::UnlockState::Approved) => return Ok(UnlockStart::Ready),
            _ => {}
        }
        drop(conn);
        let review = self.settings.unlock_review;
        let now = self.now_ms();
        let actor = format!("holder:{holder_id}");
        let mut tx = self.db.begin().await?;
        escrow::insert_request(
            &mut tx,
            &UnlockRequestRow {
                id: new_id(),
                token_serial: row.token_serial.clone(),
                state: if review {
                    domain::UnlockState::Pending
                } else {
                    domain::UnlockState::Approved
                },
                created_at: now,
                decided_by: (!review).then(|| "system:no-review".to_string()),
                decided_at: (!review).then_some(now),
                reason: None,
            },
        )
        .await?;
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &store::audit::Event {
                actor: &actor,
                action: "token.unlock_requested",
                object: &row.token_serial,
                details: json!({ "review": review }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(if review {
            UnlockStart::Pending
        } else {
            UnlockStart::Ready
        })
    }
}
