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
    /// The database gave up on the transaction to let another go on (a
    /// deadlock or a serialization failure, PostgreSQL 40P01 / 40001): the
    /// whole operation may simply run again.
    #[error("the database broke a deadlock; retry")]
    Retry(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether running the whole operation again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Retry(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Duplicate(d.message().to_string())
            }
            sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01" | "40001")) => {
                StoreError::Retry(e)
            }
            _ => StoreError::Database(e),
        }
    }
}
