//! Uploaded materials (metadata; the bytes are in the blob store).

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MaterialRow {
    pub id: String,
    pub application_id: String,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: i64,
    pub replaced_at: Option<i64>,
}

const COLUMNS: &str = "id, application_id, kind, file_name, content_type, size, sha256, blob_key, created_at, replaced_at";

/// Adds a material in place of the current one of the same kind, whose row
/// goes; returns the blob keys to delete once the transaction has committed.
pub async fn insert_replacing(
    conn: &mut AnyConnection,
    row: &MaterialRow,
) -> Result<Vec<String>, StoreError> {
    let gone: Vec<(String,)> = sqlx::query_as(
        "DELETE FROM materials WHERE application_id = $1 AND kind = $2 RETURNING blob_key",
    )
    .bind(&row.application_id)
    .bind(&row.kind)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO materials (id, application_id, kind, file_name, content_type, size, sha256, blob_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.id)
    .bind(&row.application_id)
    .bind(&row.kind)
    .bind(&row.file_name)
    .bind(&row.content_type)
    .bind(row.size)
    .bind(&row.sha256)
    .bind(&row.blob_key)
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(gone.into_iter().map(|g| g.0).collect())
}

/// What a holder's unfinished applications hold: (files, bytes).
pub async fn held_by_holder(
    conn: &mut AnyConnection,
    holder_id: &str,
) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(m.size), 0) AS BIGINT) FROM materials m \
         JOIN applications a ON a.id = m.application_id \
         WHERE a.holder_id = $1 AND a.state NOT IN ('COMPLETED', 'REFUNDED', 'REJECTED', 'CANCELLED')",
    )
    .bind(holder_id)
    .fetch_one(conn)
    .await?)
}

/// Removes an application's materials (it was withdrawn); returns the blob
/// keys to delete once the transaction has committed.
pub async fn delete_for_application(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<String>, StoreError> {
    let gone: Vec<(String,)> =
        sqlx::query_as("DELETE FROM materials WHERE application_id = $1 RETURNING blob_key")
            .bind(application_id)
            .fetch_all(conn)
            .await?;
    Ok(gone.into_iter().map(|g| g.0).collect())
}

/// Rows an earlier version kept for replaced materials (with their blobs):
/// removed, returning the blob keys to delete (housekeeping, a batch at a time).
pub async fn purge_replaced(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let gone: Vec<(String,)> = sqlx::query_as(
        "DELETE FROM materials WHERE id IN \
         (SELECT id FROM materials WHERE replaced_at IS NOT NULL LIMIT $1) RETURNING blob_key",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(gone.into_iter().map(|g| g.0).collect())
}

/// The current (not replaced) materials of an application.
pub async fn current(
    conn: &mut AnyConnection,
    application_id: &str,
) -> Result<Vec<MaterialRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM materials WHERE application_id = $1 AND replaced_at IS NULL ORDER BY kind, created_at"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(application_id)
        .fetch_all(conn)
        .await?)
}

/// A material together with the holder owning its application.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedMaterial {
    #[sqlx(flatten)]
    pub material: MaterialRow,
    pub holder_id: String,
}

pub async fn with_owner(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<OwnedMaterial>, StoreError> {
    let sql = format!(
        "SELECT m.{cols}, a.holder_id FROM materials m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
        cols = COLUMNS.replace(", ", ", m.")
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}
