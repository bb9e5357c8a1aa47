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
        let step = Step {
            application_id: &row.id,
            from,
            action,
            actor,
            note,
        };
        match moved_in(tx, step, price_fen, self.now_ms()).await? {
            Some(to) => Ok(to),
            None => Err(RaError::Conflict(Msg::new("申请状态已变化，请刷新页面"))),
        }
    }
}

/// One move of an application: from the state its mover saw, by an action.
pub(crate) struct Step<'a> {
    pub application_id: &'a str,
    pub from: AppState,
    pub action: AppAction,
    pub actor: &'a str,
    pub note: &'a str,
}

/// Moves the application if it is still in `step.from` (compare-and-set),
/// with its event, in the caller's transaction: the new state, or `None` if
/// it had moved on. For movers that find an application by what happened to
/// it (a payment settled, the last refund done) rather than from a page.
pub(crate) async fn moved_in(
    tx: &mut store::AnyConnection,
    step: Step<'_>,
    price_fen: Option<i64>,
    now: i64,
) -> Result<Option<AppState>, RaError> {
    let Step {
        application_id,
        from,
        action,
        actor,
        note,
    } = step;
    let to = from
        .after(action)
        .ok_or_else(|| RaError::Conflict(Msg::new("申请当前状态不能进行此操作")))?;
    let submitted = matches!(
        action,
        AppAction::SubmitForReview | AppAction::SubmitForPayment
    );
    let moved = applications::transition(
        tx,
        application_id,
        from,
        to,
        !to.unfinished(),
        submitted,
        price_fen,
        now,
    )
    .await?;
    if moved.is_none() {
        return Ok(None);
    }
    applications::add_event(
        tx,
        &EventRow {
            id: new_id(),
            application_id: application_id.to_string(),
            at: now,
            actor: actor.to_string(),
            from_state: Some(from),
            to_state: to,
            note: note.to_string(),
        },
    )
    .await?;
    tracing::info!(application.id = %application_id, from = from.key(), to = to.key(), actor, "application moved");
    Ok(Some(to))
}
