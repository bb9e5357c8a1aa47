//! The one way an application changes state: a compare-and-set on the state
//! the caller saw, plus an event, in one transaction.

use domain::{AppAction, AppState};
use store::applications::{self, ApplicationRow, EventRow};

use crate::{Msg, Ra, RaError, new_id};

impl Ra {
    /// The one way an application changes state.
    pub async fn move_state(
        &self,
        row: &ApplicationRow,
        from: AppState,
        action: AppAction,
        actor: &str,
        note: &str,
        price_fen: Option<i64>,
    ) -> Result<AppState, RaError> {
        let mut tx = self.db.begin().await?;
        let to = self
            .move_state_in(&mut tx, row, from, action, actor, note, price_fen)
            .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(to)
    }

    /// `move_state` inside the caller's transaction, for moves that change
    /// something else at the same time (an order opened, cancelled).
    #[expect(
        clippy::too_many_arguments,
        reason = "move_state's arguments plus the caller's transaction"
    )]
    pub(crate) async fn move_state_in(
        &self,
        tx: &mut store::AnyConnection,
        row: &ApplicationRow,
        from: AppState,
        action: AppAction,
        actor: &str,
        note: &str,
        price_fen: Option<i64>,
    ) -> Result<AppState, RaError> {
        let to = from
            .after(action)
            .ok_or_else(|| RaError::Conflict(Msg::new("申请当前状态不能进行此操作")))?;
        let now = self.now_ms();
        let submitted = matches!(
            action,
            AppAction::SubmitForReview | AppAction::SubmitForPayment
        );
        let moved = applications::transition(
            tx,
            &row.id,
            from,
            to,
            !to.unfinished(),
            submitted,
            price_fen,
            now,
        )
        .await?;
        if moved.is_none() {
            return Err(RaError::Conflict(Msg::new("申请状态已变化，请刷新页面")));
        }
        applications::add_event(
            tx,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: now,
                actor: actor.to_string(),
                from_state: Some(from),
                to_state: to,
                note: note.to_string(),
            },
        )
        .await?;
        tracing::info!(application.id = %row.id, from = from.key(), to = to.key(), actor, "application moved");
        Ok(to)
    }
}
