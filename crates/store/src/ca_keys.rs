//! The CA's own certificates and (wrapped) keys.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaKeyRow {
    pub id: String,
    /// `root`, `issuing` or `ocsp`.
    pub role: String,
    pub algorithm: String,
    pub subject: String,
    pub serial: String,
    pub cert_der: Vec<u8>,
    /// `software` (key_blob holds the encrypted PKCS#8) or `pkcs11` (key_ref holds
    /// the CKA_ID in the configured token).
    pub key_kind: String,
    pub key_blob: Option<Vec<u8>>,
    pub key_ref: Option<String>,
    pub issuer_id: Option<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, role, algorithm, subject, serial, cert_der, key_kind, key_blob, key_ref, \
                       issuer_id, not_before, not_after, created_at";

pub async fn insert(conn: &mut AnyConnection, row: &CaKeyRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ca_keys (id, role, algorithm, subject, serial, cert_der, key_kind, key_blob, \
         key_ref, issuer_id, not_before, not_after, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&row.id)
    .bind(&row.role)
    .bind(&row.algorithm)
    .bind(&row.subject)
    .bind(&row.serial)
    .bind(&row.cert_der)
    .bind(&row.key_kind)
    .bind(&row.key_blob)
    .bind(&row.key_ref)
    .bind(&row.issuer_id)
    .bind(row.not_before)
    .bind(row.not_after)
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest key of a role (`root`, `issuing`, `ocsp`).
pub async fn latest(conn: &mut AnyConnection, role: &str) -> Result<Option<CaKeyRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ca_keys WHERE role = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(role)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<CaKeyRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM ca_keys WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(conn)
        .await?)
}
