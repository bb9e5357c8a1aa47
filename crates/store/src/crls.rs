//! Published CRLs.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CrlRow {
    pub number: i64,
    pub issuer_id: String,
    pub this_update: i64,
    pub next_update: i64,
    /// The revocation sequence number the CRL covers: every revocation up to it.
    pub revocation_seq: i64,
    pub entries: i64,
    pub der: Vec<u8>,
    pub created_at: i64,
}

/// A CRL's metadata without its (possibly large) body.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct CrlMeta {
    pub number: i64,
    pub this_update: i64,
    pub next_update: i64,
    pub revocation_seq: i64,
}

/// How many CRLs to keep (older ones are only useful for forensics, and large).
const KEEP: i64 = 5;

/// A CRL to record; its body is borrowed (it may be tens of megabytes).
#[derive(Debug, Clone, Copy)]
pub struct NewCrl<'a> {
    pub number: i64,
    pub issuer_id: &'a str,
    pub this_update: i64,
    pub next_update: i64,
    pub revocation_seq: i64,
    pub entries: i64,
    pub der: &'a [u8],
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, row: &NewCrl<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crls (number, issuer_id, this_update, next_update, revocation_seq, entries, der, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.number)
    .bind(row.issuer_id)
    .bind(row.this_update)
    .bind(row.next_update)
    .bind(row.revocation_seq)
    .bind(row.entries)
    .bind(row.der)
    .bind(row.created_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM crls WHERE number <= $1")
        .bind(row.number - KEEP)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn latest_meta(
    conn: &mut AnyConnection,
    issuer_id: &str,
) -> Result<Option<CrlMeta>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT number, this_update, next_update, revocation_seq FROM crls WHERE issuer_id = $1 \
         ORDER BY number DESC LIMIT 1",
    )
    .bind(issuer_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn by_number(conn: &mut AnyConnection, number: i64) -> Result<CrlRow, StoreError> {
    Ok(sqlx::query_as(
        "SELECT number, issuer_id, this_update, next_update, revocation_seq, entries, der, created_at \
         FROM crls WHERE number = $1",
    )
    .bind(number)
    .fetch_one(conn)
    .await?)
}
