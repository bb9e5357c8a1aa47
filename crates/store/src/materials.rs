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

/// Adds a material, marking the current one of the same kind replaced.
pub async fn insert_replacing(
    conn: &mut AnyConnection,
    row: &MaterialRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE materials SET replaced_at = $3 WHERE application_id = $1 AND kind = $2 AND replaced_at IS NULL",
    )
    .bind(&row.application_id)
    .bind(&row.kind)
    .bind(row.created_at)
    .execute(&mut *conn)
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
    Ok(())
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
