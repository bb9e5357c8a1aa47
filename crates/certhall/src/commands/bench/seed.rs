//! Filling the store fast: a million certificates cannot be issued one by one
//! before each run, so the database generates the rows itself (SQLite's
//! recursive CTE, PostgreSQL's generate_series) from a template row the CA
//! really issued. Seeded rows share the template's certificate body; the
//! columns the measured paths read (serial, subject, state, dates,
//! revocation) are distinct per row.

use store::{Backend, Db};

use super::bench_error;
use crate::AppError;

/// Serials: 16 random bytes as our CA writes them, first nibble 1 (positive).
fn serial_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "'1' || substr(upper(hex(randomblob(16))), 2)",
        Backend::Postgres => "'1' || substr(upper(md5(random()::text || i::text)), 2)",
    }
}

/// `SELECT i FROM <numbers from..=to>` as a FROM item named `n(i)`, and the
/// `WITH` clause it needs (SQLite) or not (PostgreSQL).
fn numbers(backend: Backend, from: i64, to: i64) -> (String, String) {
    match backend {
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) "
            ),
            "n".to_string(),
        ),
        Backend::Postgres => (
            String::new(),
            format!("generate_series({from}, {to}) AS n(i)"),
        ),
    }
}

async fn exec(db: &Db, sql: String) -> Result<u64, AppError> {
    let mut conn = db.conn().await?;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| bench_error(format!("seeding: {e}")))
}

async fn count(db: &Db, sql: &str) -> Result<i64, AppError> {
    let mut conn = db.conn().await?;
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| bench_error(format!("seeding: {e}")))
}

/// Issued certificates `seed:<from>` … `seed:<to>`, copies of `template` (the
/// serial of a certificate the CA issued), each with its own serial and name.
pub async fn issued(db: &Db, template: &str, from: i64, to: i64) -> Result<(), AppError> {
    // In slices, so one transaction never holds a million rows of WAL.
    const SLICE: i64 = 100_000;
    let backend = db.backend();
    let mut start = from;
    while start <= to {
        let end = (start + SLICE - 1).min(to);
        let (with, n) = numbers(backend, start, end);
        exec(
            db,
            format!(
                "{with}INSERT INTO certificates (serial, request_id, issuer_id, profile, common_name, \
                   organization, credit_code, id_number_masked, key_algorithm, spki_sha256, not_before, \
                   not_after, tbs_der, cert_der, state, created_at, issued_at) \
                 SELECT {serial}, 'seed:' || i, t.issuer_id, t.profile, 'seed' || i, t.organization, \
                   t.credit_code, t.id_number_masked, t.key_algorithm, t.spki_sha256, t.not_before, \
                   t.not_after, t.tbs_der, t.cert_der, 'ISSUED', t.created_at, t.issued_at \
                 FROM {n}, (SELECT * FROM certificates WHERE serial = '{template}') t",
                serial = serial_sql(backend),
            ),
        )
        .await?;
        start = end + 1;
    }
    Ok(())
}

/// Revokes seeded certificates `seed:<from>` … `seed:<to>`: revocation dates
/// spread over the last 30 days, four in six with a reason code, as
/// perf-anchors.md's index for `openssl ca -gencrl`. Their revocation sequence
/// numbers are far above the counter, so a running server's watcher does not
/// take them for fresh revocations to act on.
pub async fn revoke(db: &Db, now_ms: i64, from: i64, to: i64) -> Result<(), AppError> {
    let (with, n) = numbers(db.backend(), from, to);
    let sql = format!(
        "UPDATE certificates SET revoked_at = {now_ms} - (s.i % 30) * 86400000 - s.i % 86400000, \
           revocation_reason = CASE s.i % 6 WHEN 0 THEN 1 WHEN 1 THEN 4 WHEN 2 THEN 5 \
             WHEN 3 THEN 3 ELSE 0 END, \
           revocation_seq = 1000000000000 + s.i \
         FROM ({with}SELECT 'seed:' || i AS rid, i FROM {n}) s WHERE certificates.request_id = s.rid"
    );
    exec(db, sql).await?;
    Ok(())
}

/// `holders` holders (mobiles 170…), each with `per_holder` applications of
/// various businesses and states, application k of holder h pointing at the
/// seeded certificate `seed:<h * per_holder + k + 1>`.
pub async fn holders(db: &Db, holders: i64, per_holder: i64, now_ms: i64) -> Result<(), AppError> {
    let backend = db.backend();
    let (with, n) = numbers(backend, 0, holders - 1);
    exec(
        db,
        format!(
            "{with}INSERT INTO holders (id, mobile, created_at) \
             SELECT 'seed-holder-' || i, '170' || substr('00000000' || i, -8, 8), {now_ms} FROM {n}"
        )
        .replace(
            "substr('00000000' || i, -8, 8)",
            match backend {
                Backend::Sqlite => "substr('00000000' || i, -8, 8)",
                Backend::Postgres => "lpad(i::text, 8, '0')",
            },
        ),
    )
    .await?;
    let (with, n) = numbers(backend, 0, holders * per_holder - 1);
    let form = r#"{"seeded":true}"#;
    exec(
        db,
        format!(
            "{with}INSERT INTO applications (id, holder_id, business, cert_type, cert_serial, state, form, \
               price_fen, created_at, updated_at, submitted_at, version, reviewers) \
             SELECT 'seed-app-' || i, 'seed-holder-' || (i / {per_holder}), \
               CASE i % 2 WHEN 0 THEN 'change' ELSE 'renew' END, \
               'enterprise', (SELECT serial FROM certificates WHERE request_id = 'seed:' || (i + 1)), \
               CASE i % 4 WHEN 0 THEN 'COMPLETED' WHEN 1 THEN 'PENDING_REVIEW' WHEN 2 THEN 'DRAFT' ELSE 'APPROVED' END, \
               '{form}', 30000, {now_ms} - i * 1000, {now_ms} - i * 1000, {now_ms} - i * 1000, 1, 1 \
             FROM {n}"
        ),
    )
    .await?;
    Ok(())
}

/// A signed-in session of holder `seed-holder-<h>`: the cookie value.
pub async fn session(db: &Db, h: i64, now_ms: i64) -> Result<String, AppError> {
    let token = ra::random::token();
    let mut conn = db.conn().await?;
    store::sessions::insert(
        &mut conn,
        &store::sessions::SessionRow {
            id_hash: ra::random::hash(&token),
            holder_id: Some(format!("seed-holder-{h}")),
            data: "{}".into(),
            created_at: now_ms,
            seen_at: now_ms,
            expires_at: now_ms + 3_600_000,
        },
    )
    .await?;
    Ok(token)
}

/// How many certificates the store holds.
pub async fn stored(db: &Db) -> Result<i64, AppError> {
    count(db, "SELECT COUNT(*) FROM certificates").await
}

/// A certificate the CA issued, to copy.
pub async fn template(db: &Db) -> Result<String, AppError> {
    let mut conn = db.conn().await?;
    sqlx::query_scalar::<_, String>(
        "SELECT serial FROM certificates WHERE cert_der IS NOT NULL AND revoked_at IS NULL LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| bench_error(format!("no issued certificate to copy: {e}")))
}
