//! The review desk: the queue, claims (who is working on an application) and the
//! approvals of each submission (four eyes).

use domain::{AppState, Business, ProfileKind};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use crate::StoreError;
use crate::decode::parsed;
use crate::filter::Where;

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub business: Option<String>,
    pub cert_type: Option<String>,
    /// States to list; empty for all.
    pub states: Vec<String>,
    /// Only applications submitted before this time (ms), i.e. at least this old.
    pub submitted_before: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// An application as the queue lists it.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: String,
    pub business: Business,
    pub cert_type: ProfileKind,
    pub state: AppState,
    pub form: String,
    pub price_fen: i64,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    pub holder_mobile: String,
    pub claimed_by: Option<String>,
    pub claim_expires_at: Option<i64>,
}

impl<'r> FromRow<'r, AnyRow> for QueueRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(QueueRow {
            id: row.try_get("id")?,
            business: parsed(row, "business")?,
            cert_type: parsed(row, "cert_type")?,
            state: parsed(row, "state")?,
            form: row.try_get("form")?,
            price_fen: row.try_get("price_fen")?,
            submitted_at: row.try_get("submitted_at")?,
            updated_at: row.try_get("updated_at")?,
            holder_mobile: row.try_get("holder_mobile")?,
            claimed_by: row.try_get("claimed_by")?,
            claim_expires_at: row.try_get("claim_expires_at")?,
        })
    }
}

/// Oldest submission first; applications never submitted last.
pub async fn queue(conn: &mut AnyConnection, f: &QueueFilter) -> Result<Vec<QueueRow>, StoreError> {
    let mut w = Where::default();
    w.eq("a.business", f.business.as_deref())
        .eq("a.cert_type", f.cert_type.as_deref())
        .any_of("a.state", &f.states)
        .cmp("a.submitted_at", "<", f.submitted_before);
    let limit = w.param(f.limit);
    let offset = w.param(f.offset);
    let sql = format!(
        "SELECT a.id, a.business, a.cert_type, a.state, a.form, a.price_fen, a.submitted_at, a.updated_at, \
         h.mobile AS holder_mobile, s.name AS claimed_by, c.expires_at AS claim_expires_at \
         FROM applications a JOIN holders h ON h.id = a.holder_id \
         LEFT JOIN review_claims c ON c.application_id = a.id \
         LEFT JOIN staff s ON s.id = c.staff_id{} \
         ORDER BY CASE WHEN a.submitted_at IS NULL THEN 1 ELSE 0 END, a.submitted_at, a.id \
         LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub application_id: String,
    pub staff_id: String,
    pub staff_name: String,
    pub claimed_at: i64,
    pub expires_at: i64,
}

/// Takes or renews the claim unless someone else holds a live one. Returns the
/// claim as it stands afterwards (the caller's, or the other person's).
pub async fn claim(
    conn: &mut AnyConnection,
    application_id: &str,
    staff_id: &str,
    now: i64,
    until: i64,
) -> Result<ClaimRow, StoreError> {
    sqlx::query(
        "INSERT INTO review_claims (application_id, staff_id, claimed_at, expires_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (application_id) DO UPDATE SET staff_id = excluded.staff_id, \
         claimed_at = CASE WHEN review_claims.staff_id = excluded.staff_id \
             THEN review_claims.claimed_at ELSE excluded.claimed_at END, \
         expires_at = excluded.expires_at \
         WHERE review_claims.expires_at <= $3 OR review_claims.staff_id = excluded.staff_id",
    )
    .bind(application_id)
    .bind(staff_id)
    .bind(now)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    claim_of(conn, application_id)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn claim_of(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Option<ClaimRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.application_id, c.staff_id, s.name AS staff_name, c.claimed_at, c.expires_at \
         FROM review_claims c JOIN staff s ON s.id = c.staff_id WHERE c.application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(conn)
    .await?)
}

/// Lets go of an application (after a decision, or when the reviewer leaves it).
pub async fn release(conn: &mut AnyConnection, application_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM review_claims WHERE application_id = $1")
        .bind(application_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: String,
    pub application_id: String,
    pub round: i64,
    pub staff_id: String,
    pub at: i64,
    pub note: String,
}

/// Records one person's approval of a submission. `Duplicate` if they already
/// approved this round.
pub async fn approve(conn: &mut AnyConnection, a: &ApprovalRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_approvals (id, application_id, round, staff_id, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.id)
    .bind(&a.application_id)
    .bind(a.round)
    .bind(&a.staff_id)
    .bind(a.at)
    .bind(&a.note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn approvals(
    conn: &mut AnyConnection,
    application_id: &str,
    round: i64,
) -> Result<Vec<ApprovalRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, application_id, round, staff_id, at, note FROM review_approvals \
         WHERE application_id = $1 AND round = $2 ORDER BY at, id",
    )
    .bind(application_id)
    .bind(round)
    .fetch_all(conn)
    .await?)
}

/// How many applications are in each state.
pub async fn count_by_state(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT state, COUNT(*) FROM applications GROUP BY state")
            .fetch_all(conn)
            .await?,
    )
}
