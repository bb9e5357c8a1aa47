//! Applications and their timeline. A state change is one compare-and-set UPDATE
//! plus its event, in the caller's transaction.

use domain::{AppState, Business, ProfileKind};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use crate::StoreError;
use crate::decode::{parsed, parsed_opt};

#[derive(Debug, Clone)]
pub struct ApplicationRow {
    pub id: String,
    pub holder_id: String,
    pub business: Business,
    pub cert_type: ProfileKind,
    pub cert_serial: Option<String>,
    pub state: AppState,
    /// JSON document of the form the holder filled in.
    pub form: String,
    pub price_fen: i64,
    pub open_key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub version: i64,
    /// Reviewers this application needs (1, or 2 for four eyes), fixed at creation.
    pub reviewers: i64,
    /// JSON list of the material kinds required, fixed at creation; None for
    /// applications older than the setting (the current rules apply).
    pub required_materials: Option<String>,
    /// How many times it entered review; approvals count per round.
    pub review_round: i64,
}

const COLUMNS: &str = "id, holder_id, business, cert_type, cert_serial, state, form, price_fen, open_key, \
                       created_at, updated_at, submitted_at, version, reviewers, required_materials, review_round";

impl<'r> FromRow<'r, AnyRow> for ApplicationRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ApplicationRow {
            id: row.try_get("id")?,
            holder_id: row.try_get("holder_id")?,
            business: parsed(row, "business")?,
            cert_type: parsed(row, "cert_type")?,
            cert_serial: row.try_get("cert_serial")?,
            state: parsed(row, "state")?,
            form: row.try_get("form")?,
            price_fen: row.try_get("price_fen")?,
            open_key: row.try_get("open_key")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            submitted_at: row.try_get("submitted_at")?,
            version: row.try_get("version")?,
            reviewers: row.try_get("reviewers")?,
            required_materials: row.try_get("required_materials")?,
            review_round: row.try_get("review_round")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: String,
    pub application_id: String,
    pub at: i64,
    pub actor: String,
    pub from_state: Option<AppState>,
    pub to_state: AppState,
    pub note: String,
}

impl<'r> FromRow<'r, AnyRow> for EventRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(EventRow {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            from_state: parsed_opt(row, "from_state")?,
            to_state: parsed(row, "to_state")?,
            note: row.try_get("note")?,
        })
    }
}

/// Inserts a new application. `Duplicate` when its open key is taken (an
/// unfinished application for the same certificate and business exists).
pub async fn insert(conn: &mut AnyConnection, row: &ApplicationRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applications (id, holder_id, business, cert_type, cert_serial, state, form, price_fen, \
         open_key, created_at, updated_at, submitted_at, version, reviewers, required_materials, review_round) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&row.id)
    .bind(&row.holder_id)
    .bind(row.business.key())
    .bind(row.cert_type.name())
    .bind(&row.cert_serial)
    .bind(row.state.key())
    .bind(&row.form)
    .bind(row.price_fen)
    .bind(&row.open_key)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(row.submitted_at)
    .bind(row.version)
    .bind(row.reviewers)
    .bind(&row.required_materials)
    .bind(row.review_round)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM applications WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The application if it belongs to this holder: anyone else gets None, as if it
/// did not exist.
pub async fn owned(
    conn: &mut AnyConnection,
    id: &str,
    holder_id: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM applications WHERE id = $1 AND holder_id = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(holder_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_open_key(
    conn: &mut AnyConnection,
    open_key: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM applications WHERE open_key = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(open_key)
        .fetch_optional(conn)
        .await?)
}

pub async fn for_holder(
    conn: &mut AnyConnection,
    holder_id: &str,
) -> Result<Vec<ApplicationRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM applications WHERE holder_id = $1 ORDER BY created_at DESC, id DESC"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(holder_id)
        .fetch_all(conn)
        .await?)
}

/// The applications made for a certificate, newest first.
pub async fn for_certificate(
    conn: &mut AnyConnection,
    serial_hex: &str,
) -> Result<Vec<ApplicationRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM applications WHERE cert_serial = $1 ORDER BY created_at DESC, id DESC"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(serial_hex)
        .fetch_all(conn)
        .await?)
}

/// Saves the form while the application is in an editable state.
pub async fn save_form(
    conn: &mut AnyConnection,
    id: &str,
    form: &str,
    price_fen: Option<i64>,
    editable_states: &[AppState],
    now: i64,
) -> Result<bool, StoreError> {
    let placeholders: Vec<String> = (0..editable_states.len())
        .map(|i| format!("${}", i + 5))
        .collect();
    let sql = format!(
        "UPDATE applications SET form = $2, updated_at = $3, version = version + 1, \
         price_fen = COALESCE($4, price_fen) \
         WHERE id = $1 AND state IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(form)
        .bind(now)
        .bind(price_fen);
    for s in editable_states {
        q = q.bind(s.key());
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// Moves `from` → `to` if the application is still in `from`. Clears the open key
/// when the application is finished; stamps `submitted_at` on first submission.
#[expect(
    clippy::too_many_arguments,
    reason = "one UPDATE's parameters, each a column or a condition"
)]
pub async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: AppState,
    to: AppState,
    finished: bool,
    submitted: bool,
    price_fen: Option<i64>,
    now: i64,
) -> Result<Option<ApplicationRow>, StoreError> {
    let sql = format!(
        "UPDATE applications SET state = $3, updated_at = $4, version = version + 1, \
         open_key = CASE WHEN $5 = 1 THEN NULL ELSE open_key END, \
         submitted_at = CASE WHEN $6 = 1 AND submitted_at IS NULL THEN $4 ELSE submitted_at END, \
         price_fen = COALESCE($7, price_fen), \
         review_round = CASE WHEN $3 = 'PENDING_REVIEW' THEN review_round + 1 ELSE review_round END \
         WHERE id = $1 AND state = $2 RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(from.key())
        .bind(to.key())
        .bind(now)
        .bind(i64::from(finished))
        .bind(i64::from(submitted))
        .bind(price_fen)
        .fetch_optional(conn)
        .await?)
}

/// Claims the application's current version without changing its state: of two
/// decisions taken on the same version, only the first to commit gets through.
pub async fn claim_version(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    state: AppState,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE applications SET version = version + 1, updated_at = $4 \
         WHERE id = $1 AND version = $2 AND state = $3",
    )
    .bind(id)
    .bind(version)
    .bind(state.key())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn add_event(conn: &mut AnyConnection, e: &EventRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO application_events (id, application_id, at, actor, from_state, to_state, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.id)
    .bind(&e.application_id)
    .bind(e.at)
    .bind(&e.actor)
    .bind(e.from_state.map(AppState::key))
    .bind(e.to_state.key())
    .bind(&e.note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn events(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, application_id, at, actor, from_state, to_state, note FROM application_events \
         WHERE application_id = $1 ORDER BY at, id",
    )
    .bind(application_id)
    .fetch_all(conn)
    .await?)
}

/// For each of these certificates that has one, the material `kind` of its
/// latest application of `business` in `state` (a seal change's image): as
/// (certificate serial, material id). One query for a page listing several
/// certificates.
pub async fn latest_material_of(
    conn: &mut AnyConnection,
    serials: &[String],
    business: Business,
    state: AppState,
    kind: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..serials.len()).map(|i| format!("${}", i + 4)).collect();
    // `|| ''` keeps SQLite's planner (no statistics) from walking the index on
    // state, a quarter of all applications, instead of the few certificates'.
    let sql = format!(
        "SELECT a.cert_serial, m.id FROM applications a \
         JOIN materials m ON m.application_id = a.id AND m.kind = $3 AND m.replaced_at IS NULL \
         WHERE a.business || '' = $1 AND a.state || '' = $2 AND a.cert_serial IN ({}) \
         ORDER BY a.updated_at, a.id",
        list.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(business.key())
        .bind(state.key())
        .bind(kind);
    for s in serials {
        q = q.bind(s);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Takes the application's row lock (PostgreSQL) or the write lock (SQLite)
/// for the rest of the transaction, without changing it: for work that must
/// see the outcome of every other transaction on the same application.
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET version = version WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
