//! The price list: fen per (business, certificate type), with each product's
//! review setting; and back-office changes to which materials are required.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriceRow {
    pub business: String,
    pub cert_type: String,
    pub amount_fen: i64,
    pub updated_at: i64,
    pub updated_by: String,
    /// Reviewers an application needs: 1, or 2 (four eyes).
    pub reviewers: i64,
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
        "SELECT business, cert_type, amount_fen, updated_at, updated_by, reviewers FROM prices \
         ORDER BY business, cert_type",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn reviewers(
    conn: &mut AnyConnection,
    business: &str,
    cert_type: &str,
) -> Result<i64, StoreError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT reviewers FROM prices WHERE business = $1 AND cert_type = $2")
            .bind(business)
            .bind(cert_type)
            .fetch_optional(conn)
            .await?;
    Ok(row.map_or(1, |r| r.0))
}

/// Sets a product's price and review setting. False if the product is unknown.
pub async fn update(
    conn: &mut AnyConnection,
    business: &str,
    cert_type: &str,
    amount_fen: i64,
    reviewers: i64,
    by: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE prices SET amount_fen = $3, reviewers = $4, updated_by = $5, updated_at = $6 \
         WHERE business = $1 AND cert_type = $2",
    )
    .bind(business)
    .bind(cert_type)
    .bind(amount_fen)
    .bind(reviewers)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MaterialRuleRow {
    pub business: String,
    pub cert_type: String,
    pub kind: String,
    pub required: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

pub async fn material_rules(conn: &mut AnyConnection) -> Result<Vec<MaterialRuleRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT business, cert_type, kind, required, updated_at, updated_by FROM material_rules",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn set_material_rule(
    conn: &mut AnyConnection,
    r: &MaterialRuleRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO material_rules (business, cert_type, kind, required, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (business, cert_type, kind) DO UPDATE SET \
         required = excluded.required, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(&r.business)
    .bind(&r.cert_type)
    .bind(&r.kind)
    .bind(r.required)
    .bind(r.updated_at)
    .bind(&r.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}
