//! Issued certificates: recorded before signing, completed after, revoked in place.

use sqlx::AnyConnection;

use crate::StoreError;

pub const STATE_PENDING: &str = "PENDING";
pub const STATE_ISSUED: &str = "ISSUED";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateRow {
    pub serial: String,
    pub request_id: String,
    pub issuer_id: String,
    pub profile: String,
    pub common_name: String,
    pub organization: Option<String>,
    pub credit_code: Option<String>,
    pub id_number_masked: Option<String>,
    pub key_algorithm: String,
    pub spki_sha256: String,
    pub not_before: i64,
    pub not_after: i64,
    pub tbs_der: Vec<u8>,
    pub cert_der: Option<Vec<u8>>,
    pub state: String,
    pub created_at: i64,
    pub issued_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<i64>,
    pub revocation_seq: Option<i64>,
}

const COLUMNS: &str = "serial, request_id, issuer_id, profile, common_name, organization, credit_code, \
     id_number_masked, key_algorithm, spki_sha256, not_before, not_after, tbs_der, cert_der, state, \
     created_at, issued_at, revoked_at, revocation_reason, revocation_seq";

/// The data recorded before signing.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub serial: String,
    pub request_id: String,
    pub issuer_id: String,
    pub profile: String,
    pub common_name: String,
    pub organization: Option<String>,
    pub credit_code: Option<String>,
    pub id_number_masked: Option<String>,
    pub key_algorithm: String,
    pub spki_sha256: String,
    pub not_before: i64,
    pub not_after: i64,
    pub tbs_der: Vec<u8>,
    pub created_at: i64,
}

/// Records a certificate about to be signed. `Duplicate` means the serial or the
/// request id is already taken.
pub async fn insert_pending(
    conn: &mut AnyConnection,
    c: &NewCertificate,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO certificates (serial, request_id, issuer_id, profile, common_name, organization, \
         credit_code, id_number_masked, key_algorithm, spki_sha256, not_before, not_after, tbs_der, \
         state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&c.serial)
    .bind(&c.request_id)
    .bind(&c.issuer_id)
    .bind(&c.profile)
    .bind(&c.common_name)
    .bind(&c.organization)
    .bind(&c.credit_code)
    .bind(&c.id_number_masked)
    .bind(&c.key_algorithm)
    .bind(&c.spki_sha256)
    .bind(c.not_before)
    .bind(c.not_after)
    .bind(&c.tbs_der)
    .bind(STATE_PENDING)
    .bind(c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the signed certificate. `None` if the row was not pending any more (a
/// concurrent retry completed it first).
pub async fn mark_issued(
    conn: &mut AnyConnection,
    serial: &str,
    cert_der: &[u8],
    issued_at: i64,
) -> Result<Option<CertificateRow>, StoreError> {
    let sql = format!(
        "UPDATE certificates SET cert_der = $2, state = $3, issued_at = $4 \
         WHERE serial = $1 AND state = $5 RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(serial)
        .bind(cert_der)
        .bind(STATE_ISSUED)
        .bind(issued_at)
        .bind(STATE_PENDING)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_serial(
    conn: &mut AnyConnection,
    serial: &str,
) -> Result<Option<CertificateRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM certificates WHERE serial = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(serial)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_request_id(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<CertificateRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM certificates WHERE request_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?)
}

/// The certificate each of `serials` replaced, for those issued to an
/// application that started from one (证书变更, 在线延期, 在线补办): (serial,
/// replaced serial).
pub async fn predecessors(
    conn: &mut AnyConnection,
    serials: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=serials.len()).map(|i| format!("${i}")).collect();
    // Issued to application X means request id `application:X` (12
    // characters, then the id): joined on the application's key.
    let sql = format!(
        "SELECT c.serial, a.cert_serial FROM certificates c \
         JOIN applications a ON a.id = substr(c.request_id, 13) \
         WHERE c.serial IN ({}) AND c.request_id LIKE 'application:%' \
         AND a.cert_serial IS NOT NULL AND a.cert_serial <> c.serial",
        list.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for s in serials {
        q = q.bind(s);
    }
    Ok(q.fetch_all(conn).await?)
}

/// A holder's certificates: those their applications started from (each
/// proved by the key at the hand-off) and those issued for their
/// applications; newest first.
pub async fn of_holder(
    conn: &mut AnyConnection,
    holder_id: &str,
) -> Result<Vec<CertificateRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates WHERE cert_der IS NOT NULL AND serial IN (\
           SELECT cert_serial FROM applications WHERE holder_id = $1 AND cert_serial IS NOT NULL \
           UNION \
           SELECT c.serial FROM applications a \
             JOIN certificates c ON c.request_id = 'application:' || a.id \
           WHERE a.holder_id = $1) \
         ORDER BY not_before DESC, serial"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(holder_id)
        .fetch_all(conn)
        .await?)
}

/// What the OCSP responder needs about one serial, and nothing more.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct RevocationStatus {
    pub issued: i64,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<i64>,
}

/// `None`: we never issued this serial.
pub async fn revocation_status(
    conn: &mut AnyConnection,
    serial: &str,
    issuer_id: &str,
) -> Result<Option<RevocationStatus>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT CASE WHEN state = 'ISSUED' THEN 1 ELSE 0 END AS issued, revoked_at, revocation_reason \
         FROM certificates WHERE serial = $1 AND issuer_id = $2",
    )
    .bind(serial)
    .bind(issuer_id)
    .fetch_optional(conn)
    .await?)
}

/// Marks an issued, unrevoked certificate revoked. `None` if there is no such
/// certificate (unknown, still pending, or already revoked).
pub async fn revoke(
    conn: &mut AnyConnection,
    serial: &str,
    at: i64,
    reason: i64,
    seq: i64,
) -> Result<Option<CertificateRow>, StoreError> {
    let sql = format!(
        "UPDATE certificates SET revoked_at = $2, revocation_reason = $3, revocation_seq = $4 \
         WHERE serial = $1 AND state = 'ISSUED' AND revoked_at IS NULL RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(serial)
        .bind(at)
        .bind(reason)
        .bind(seq)
        .fetch_optional(conn)
        .await?)
}

/// Serials revoked after revocation sequence number `after`, oldest first.
pub async fn revoked_since(
    conn: &mut AnyConnection,
    after: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT serial, revocation_seq FROM certificates WHERE revocation_seq > $1 \
         ORDER BY revocation_seq",
    )
    .bind(after)
    .fetch_all(conn)
    .await?)
}

/// One CRL entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevokedEntry {
    pub serial: String,
    pub revoked_at: i64,
    pub revocation_reason: i64,
}

/// Revoked certificates of an issuer that have not yet expired at `now` (RFC 5280
/// lets a CRL drop entries once the certificate has expired), in revocation
/// order, handed to `each` one by one as the database yields them: a million
/// entries are never held as rows at once. The count.
pub async fn each_revoked_unexpired(
    conn: &mut AnyConnection,
    issuer_id: &str,
    now: i64,
    mut each: impl FnMut(&str, i64, i64),
) -> Result<usize, StoreError> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT serial, revoked_at, revocation_reason FROM certificates \
         WHERE issuer_id = $1 AND revoked_at IS NOT NULL AND not_after > $2 \
         ORDER BY revocation_seq",
    )
    .bind(issuer_id)
    .bind(now)
    .fetch(conn);
    let mut n = 0;
    while let Some((serial, revoked_at, reason)) = rows.try_next().await? {
        each(&serial, revoked_at, reason);
        n += 1;
    }
    Ok(n)
}

/// Public search (证书查询): by organisation name, holder name or credit code, exact
/// match, newest first; a pair (双证书) once, by its signing certificate. Individuals are only found by serial, never by name: their
/// names are personal data.
pub async fn search_enterprise(
    conn: &mut AnyConnection,
    term: &str,
    limit: i64,
) -> Result<Vec<CertificateRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates WHERE state = 'ISSUED' AND profile = 'enterprise' \
         AND (organization = $1 OR common_name = $1 OR credit_code = $2) \
         AND serial NOT IN (SELECT encryption_serial FROM encryption_pairs) \
         ORDER BY issued_at DESC LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(term)
        .bind(term.to_ascii_uppercase())
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Counts {
    pub issued: i64,
    pub revoked: i64,
    pub pending: i64,
}

pub async fn counts(conn: &mut AnyConnection) -> Result<Counts, StoreError> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'ISSUED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS issued, \
         CAST(COALESCE(SUM(CASE WHEN revoked_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS revoked, \
         CAST(COALESCE(SUM(CASE WHEN state = 'PENDING' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending \
         FROM certificates",
    )
    .fetch_one(conn)
    .await?)
}

/// The back office's certificate search.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    /// Hex serial, exact.
    pub serial: Option<String>,
    /// Part of the holder's or organisation's name.
    pub name: Option<String>,
    pub credit_code: Option<String>,
    /// `valid`, `revoked` or `expired`.
    pub status: Option<String>,
    pub now: i64,
    pub limit: i64,
    pub offset: i64,
}

pub async fn search_admin(
    conn: &mut AnyConnection,
    f: &AdminFilter,
) -> Result<Vec<CertificateRow>, StoreError> {
    let mut w = crate::filter::Where::default();
    w.raw("state = 'ISSUED'")
        .eq("serial", f.serial.as_deref())
        .eq("credit_code", f.credit_code.as_deref())
        .contains(&["common_name", "organization"], f.name.as_deref());
    match f.status.as_deref() {
        Some("valid") => {
            w.raw("revoked_at IS NULL")
                .cmp("not_after", ">", Some(f.now));
        }
        Some("revoked") => {
            w.raw("revoked_at IS NOT NULL");
        }
        Some("expired") => {
            w.raw("revoked_at IS NULL")
                .cmp("not_after", "<=", Some(f.now));
        }
        _ => {}
    }
    let limit = w.param(f.limit);
    let offset = w.param(f.offset);
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates{} ORDER BY issued_at DESC, serial LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}
