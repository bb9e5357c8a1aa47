//! Mailed keys (在线新办, 在线补办): the operator records carrier and tracking
//! number and the application moves to 已发货; the holder sees both.

use domain::{AppAction, AppState, Business, Perm};
use serde_json::json;
use store::applications;
use store::shipments::{self, ShipmentRow};

use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError};

/// Businesses whose key is mailed to the holder.
pub fn ships(business: Business) -> bool {
    matches!(business, Business::New | Business::Reissue)
}

impl Ra {
    pub async fn ship(
        &self,
        who: &StaffMember,
        id: &str,
        carrier: &str,
        tracking_no: &str,
    ) -> Result<(), RaError> {
        who.require(Perm::Ship)?;
        let carrier = carrier.trim();
        let tracking_no = tracking_no.trim();
        if carrier.is_empty() || carrier.chars().count() > 32 {
            return Err(RaError::Invalid(Msg::new("请填写快递公司")));
        }
        if tracking_no.len() < 6
            || tracking_no.len() > 32
            || !tracking_no.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(RaError::Invalid(Msg::new("快递单号应为 6–32 位字母或数字")));
        }
        let row = applications::by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        let business: Business = row.business;
        let mailed = serde_json::from_str::<crate::business::ApplicationForm>(&row.form)
            .is_ok_and(|f| f.medium == crate::business::Medium::Mail);
        if !ships(business) || !mailed {
            return Err(RaError::Conflict(Msg::new("该申请无需邮寄证书介质")));
        }
        let written = store::pickups::for_application(&mut *self.db.conn().await?, id)
            .await?
            .is_some_and(|p| p.written_at.is_some());
        if !written {
            return Err(RaError::Conflict(Msg::new(
                "证书尚未写入证书介质：请先生成写入码，用证书助手写入后再发货",
            )));
        }
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        self.move_state_in(
            &mut tx,
            &row,
            AppState::Approved,
            AppAction::Ship,
            &who.actor(),
            &format!("已发货：{carrier} {tracking_no}"),
            None,
        )
        .await?;
        shipments::insert(
            &mut tx,
            &ShipmentRow {
                application_id: id.to_string(),
                carrier: carrier.to_string(),
                tracking_no: tracking_no.to_string(),
                shipped_by: who.actor(),
                shipped_at: now,
            },
        )
        .await?;
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &store::audit::Event {
                actor: &who.actor(),
                action: "application.shipped",
                object: id,
                details: json!({ "carrier": carrier, "tracking_no": tracking_no }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if let Some(h) = store::holders::by_id(&mut *self.db.conn().await?, &row.holder_id).await? {
            self.notify_holder(
                &h.mobile,
                &format!("您的证书介质已寄出：{carrier}，单号 {tracking_no}。"),
            )
            .await;
        }
        Ok(())
    }

    /// The numbers on the back office's first page.
    pub async fn desk_counts(&self) -> Result<DeskCounts, RaError> {
        let mut conn = self.db.conn().await?;
        let by_state = store::review::count_by_state(&mut conn).await?;
        let count = |s: AppState| {
            by_state
                .iter()
                .find(|(k, _)| k == s.key())
                .map_or(0, |(_, n)| *n)
        };
        Ok(DeskCounts {
            pending_review: count(AppState::PendingReview),
            approved: count(AppState::Approved),
            refunding: count(AppState::Refunding),
            transfers: store::invoices::count_submitted_transfers(&mut conn).await?,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct DeskCounts {
    pub pending_review: i64,
    pub approved: i64,
    pub refunding: i64,
    /// Bank receipts waiting for finance.
    pub transfers: i64,
}

impl Ra {
    /// The shipment of an application the caller has already checked access to.
    pub async fn shipment_of(&self, application_id: &str) -> Result<Option<ShipmentRow>, RaError> {
        Ok(shipments::for_application(&mut *self.db.conn().await?, application_id).await?)
    }
}
