//! Automatic review (审核人数 0 on the product page): an application of such a
//! product is approved as soon as it reaches 待审核, by the system, with the
//! same event, audit entry and SMS as a reviewer's approval. Only businesses
//! that carry no new identity to check may be set so
//! (`Business::may_skip_review`: a renewal keeps the subject a reviewer already
//! checked; a 注销 is the holder's own, confirmed by SMS, and only takes away).

use domain::{AppAction, AppState};
use serde_json::json;
use store::applications;

use crate::{Ra, RaError};

const ACTOR: &str = "system:auto-review";

impl Ra {
    /// Approves the application if it waits for review and its product needs
    /// no reviewer. Errors are logged: the application then waits for a
    /// person, which is safe.
    pub(crate) async fn auto_review(&self, id: &str) {
        if let Err(e) = self.try_auto_review(id).await {
            tracing::error!(application.id = %id, error = ?e, "automatic review failed; left for a reviewer");
        }
    }

    async fn try_auto_review(&self, id: &str) -> Result<(), RaError> {
        let mut conn = self.db.conn().await?;
        let Some(row) = applications::by_id(&mut conn, id).await? else {
            return Ok(());
        };
        drop(conn);
        let business = row.business;
        if row.reviewers != 0 || row.state != AppState::PendingReview || !business.may_skip_review()
        {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        self.move_state_in(
            &mut tx,
            &row,
            AppState::PendingReview,
            AppAction::Approve,
            ACTOR,
            "自动审核通过（产品设置为自动审核）",
            None,
        )
        .await?;
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            self.now_ms(),
            &store::audit::Event {
                actor: ACTOR,
                action: "application.approved",
                object: id,
                details: json!({ "round": row.review_round, "automatic": true }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let mobile = store::holders::by_id(&mut *self.db.conn().await?, &row.holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        self.approved(&row, &mobile).await;
        Ok(())
    }
}
