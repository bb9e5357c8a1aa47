//! Where the assistant's link lands (图 2.8 opens from here). A signed-in holder
//! goes straight to the form; anyone else signs in first, and the hand-off waits
//! in the session (15 minutes at most).

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::{Business, Msg, Serial};
use ra::RaError;

use super::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::respond::see_other;
use crate::session::{self, PendingHandoff, Session, SessionData};

const WAIT_MS: i64 = 15 * 60_000;

async fn start(
    state: &AppState,
    holder_id: &str,
    serial: &Serial,
    business: Business,
) -> Result<Response, WebError> {
    let started = state
        .ra
        .start(holder_id, serial, business, ra::pipeline::Via::Assistant)
        .await?;
    Ok(if started.existing {
        see_other(&format!("/apply/{}?existing=1", started.id))
    } else {
        see_other(&format!("/apply/{}/form", started.id))
    })
}

pub async fn open(
    State(state): State<AppState>,
    Extension(current): Extension<Session>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let (serial, business) = state.ra.handoff_open(&token).await?;
    if let Some(holder) = &current.holder {
        return start(&state, &holder.id, &serial, business).await;
    }
    let data = SessionData {
        handoff: Some(PendingHandoff {
            serial: serial.to_hex(),
            business: business.key().into(),
            at: state.ra.now_ms(),
        }),
    };
    let cookie = session::start(&state, &current, None, &data).await?;
    let mut resp = see_other("/signin?next=%2Fhandoff%2Fcontinue");
    session::set_cookie(&mut resp, cookie);
    Ok(resp)
}

pub async fn resume(
    State(state): State<AppState>,
    Extension(current): Extension<Session>,
    SignedIn(holder): SignedIn,
) -> Result<Response, WebError> {
    let Some(pending) = current.data.handoff.clone() else {
        return Ok(see_other("/me"));
    };
    // The waiting hand-off is used up, whatever happens next.
    session::save_data(&state, &current, &SessionData::default()).await?;
    if state.ra.now_ms() - pending.at > WAIT_MS {
        return Err(RaError::Handoff(Msg::new(
            "链接无效、已过期或已被使用，请在证书助手中重新点击",
        ))
        .into());
    }
    let (Ok(serial), Ok(business)) = (
        Serial::parse(&pending.serial),
        pending.business.parse::<Business>(),
    ) else {
        return Ok(see_other("/me"));
    };
    start(&state, &holder.id, &serial, business).await
}
