//! The price list: fen per (business, certificate type).

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriceRow {
    pub business: String,
    pub cert_type: String,
    pub amount_fen: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

/// Adds a price from configuration unless one is already set (edits made later
/// in the back office win over the file).
pub async fn seed(
    conn: &mut AnyConnection,
    business: &str,
    cert_type: &str,
    amount_fen: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO prices (business, cert_type, amount_fen, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, 'config') ON CONFLICT (business, cert_type) DO NOTHING",
    )
    .bind(business)
    .bind(cert_type)
    .bind(amount_fen)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    business: &str,
    cert_type: &str,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT amount_fen FROM prices WHERE business = $1 AND cert_type = $2")
            .bind(business)
            .bind(cert_type)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<PriceRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT business, cert_type, amount_fen, updated_at, updated_by FROM prices ORDER BY business, cert_type",
    )
    .fetch_all(conn)
    .await?)
}
