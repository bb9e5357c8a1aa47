//! Dual certificates: which encryption certificate (and KMC task) belongs
//! to which signing certificate, and what the KMC delivered for it.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairRow {
    pub signing_serial: String,
    pub encryption_serial: String,
    pub task_no: String,
    pub public_key: Option<Vec<u8>>,
    pub envelope: Option<Vec<u8>>,
    pub created_at: i64,
    pub kmc_revoked_at: Option<i64>,
    /// The earlier encryption certificate whose key pair this one certifies
    /// again (在线延期 keeping the key); None for a key made anew.
    pub renews: Option<String>,
}

const COLUMNS: &str = "signing_serial, encryption_serial, task_no, public_key, envelope, \
     created_at, kmc_revoked_at, renews";

/// Records a pair about to be asked for (`renews`: the earlier encryption
/// certificate whose key it keeps). `Duplicate` if a serial or the task
/// number is taken.
pub async fn insert(
    conn: &mut AnyConnection,
    signing_serial: &str,
    encryption_serial: &str,
    task_no: &str,
    renews: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO encryption_pairs \
         (signing_serial, encryption_serial, task_no, renews, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(signing_serial)
    .bind(encryption_serial)
    .bind(task_no)
    .bind(renews)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_signing(
    conn: &mut AnyConnection,
    signing_serial: &str,
) -> Result<Option<PairRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM encryption_pairs WHERE signing_serial = $1"
    )))
    .bind(signing_serial)
    .fetch_optional(conn)
    .await?)
}

pub async fn by_encryption(
    conn: &mut AnyConnection,
    encryption_serial: &str,
) -> Result<Option<PairRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM encryption_pairs WHERE encryption_serial = $1"
    )))
    .bind(encryption_serial)
    .fetch_optional(conn)
    .await?)
}

/// Keeps what the KMC delivered, once: a second answer to the same task
/// (a retry) leaves the first.
pub async fn delivered(
    conn: &mut AnyConnection,
    signing_serial: &str,
    public_key: &[u8],
    envelope: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE encryption_pairs SET public_key = $2, envelope = $3 \
         WHERE signing_serial = $1 AND public_key IS NULL",
    )
    .bind(signing_serial)
    .bind(public_key)
    .bind(envelope)
    .execute(conn)
    .await?;
    Ok(())
}

/// The KMC confirmed the key's revocation.
pub async fn kmc_revoked(
    conn: &mut AnyConnection,
    signing_serial: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE encryption_pairs SET kmc_revoked_at = $2 \
         WHERE signing_serial = $1 AND kmc_revoked_at IS NULL",
    )
    .bind(signing_serial)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Pairs whose certificates are revoked and whose KMC has not confirmed it.
pub async fn kmc_revocations_due(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<PairRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.signing_serial, p.encryption_serial, p.task_no, p.public_key, p.envelope, \
         p.created_at, p.kmc_revoked_at, p.renews FROM encryption_pairs p \
         JOIN certificates c ON c.serial = p.encryption_serial \
         WHERE c.revoked_at IS NOT NULL AND p.kmc_revoked_at IS NULL \
         ORDER BY c.revoked_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
