//! Mailed keys: carrier and tracking number, once per application.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShipmentRow {
    pub application_id: String,
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_by: String,
    pub shipped_at: i64,
}

/// `Duplicate` if the application was shipped already.
pub async fn insert(conn: &mut AnyConnection, s: &ShipmentRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO shipments (application_id, carrier, tracking_no, shipped_by, shipped_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.application_id)
    .bind(&s.carrier)
    .bind(&s.tracking_no)
    .bind(&s.shipped_by)
    .bind(s.shipped_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Option<ShipmentRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT application_id, carrier, tracking_no, shipped_by, shipped_at FROM shipments \
         WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(conn)
    .await?)
}
