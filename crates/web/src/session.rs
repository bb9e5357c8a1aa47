//! Holder sessions. The cookie carries a random token; the database keeps only its
//! hash, the holder and a little state (a hand-off waiting for sign-in). Sessions
//! end after 30 minutes idle or 12 hours in all, and are replaced at sign-in so a
//! token planted before sign-in is worthless after it.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use store::holders::HolderRow;
use store::sessions::{self, SessionRow};

use crate::{AppState, WebError, cookies};

pub const COOKIE: &str = "certhall_session";
const IDLE_MS: i64 = 30 * 60_000;
const LIFETIME_MS: i64 = 12 * 3_600_000;
/// Don't write `seen_at` on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A hand-off that was opened before its holder signed in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingHandoff {
    pub serial: String,
    pub business: String,
    pub at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionData {
    #[serde(default)]
    pub handoff: Option<PendingHandoff>,
}

/// The request's session, if it has a live one.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub id_hash: Option<String>,
    pub holder: Option<HolderRow>,
    pub data: SessionData,
}

impl SessionData {
    /// As the session's row keeps it.
    #[expect(
        clippy::expect_used,
        reason = "derived Serialize of an optional struct of strings and a number: serde_json cannot fail"
    )]
    fn to_json(&self) -> String {
        serde_json::to_string(self).expect("session data serialises")
    }
}

fn hash(token: &str) -> String {
    // 256 random bits: a plain hash keeps a database reader from using the token.
    ra::random::hash(token)
}

/// Loads the session named by the cookie into the request.
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut session = Session::default();
    if let Some(token) = cookies::get(req.headers(), COOKIE) {
        let id_hash = hash(&token);
        let now = state.ra.now_ms();
        if let Ok(mut conn) = state.ra.db().conn().await
            && let Ok(Some((row, holder))) =
                sessions::live(&mut conn, &id_hash, now, now - IDLE_MS).await
        {
            if now - row.seen_at > TOUCH_EVERY_MS {
                let _ = sessions::touch(&mut conn, &id_hash, now).await;
            }
            session = Session {
                id_hash: Some(id_hash),
                holder,
                data: serde_json::from_str(&row.data).unwrap_or_default(),
            };
        }
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// Starts a new session (replacing `old`), returns the Set-Cookie header value.
pub async fn start(
    state: &AppState,
    old: &Session,
    holder_id: Option<&str>,
    data: &SessionData,
) -> Result<HeaderValue, WebError> {
    let now = state.ra.now_ms();
    let mut conn = state.ra.db().conn().await?;
    if let Some(old) = &old.id_hash {
        sessions::delete(&mut conn, old).await?;
    }
    let token = ra::random::token();
    sessions::insert(
        &mut conn,
        &SessionRow {
            id_hash: hash(&token),
            holder_id: holder_id.map(str::to_string),
            data: data.to_json(),
            created_at: now,
            seen_at: now,
            expires_at: now + LIFETIME_MS,
        },
    )
    .await?;
    let cookie = cookies::set(
        COOKIE,
        &token,
        "Lax",
        Some(LIFETIME_MS / 1000),
        state.secure_cookies,
    );
    Ok(cookie)
}

/// Replaces the session's data.
pub async fn save_data(
    state: &AppState,
    session: &Session,
    data: &SessionData,
) -> Result<(), WebError> {
    if let Some(id) = &session.id_hash {
        let json = data.to_json();
        sessions::set_data(&mut *state.ra.db().conn().await?, id, &json).await?;
    }
    Ok(())
}

/// Ends the session; returns the Set-Cookie header value that clears the cookie.
pub async fn end(state: &AppState, session: &Session) -> Result<HeaderValue, WebError> {
    if let Some(id) = &session.id_hash {
        sessions::delete(&mut *state.ra.db().conn().await?, id).await?;
    }
    Ok(cookies::set(
        COOKIE,
        "",
        "Lax",
        Some(0),
        state.secure_cookies,
    ))
}

pub fn set_cookie(resp: &mut Response, value: HeaderValue) {
    resp.headers_mut().append(SET_COOKIE, value);
}
