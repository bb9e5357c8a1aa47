//! Whether the store can take a write, for `/readyz`.

use crate::{Db, StoreError};

/// Writes the one probe row (nothing grows).
pub async fn write_probe(db: &Db, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE health_probe SET at = $1 WHERE id = 1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(())
}
