use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (same serial, same request id, …).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The database URL is not one we can use.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An audit entry was to be written before the audit key was loaded.
    #[error("the audit key is not loaded: open the store through certhall's set-up")]
    AuditKeyMissing,
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Duplicate(d.message().to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}
