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
    /// The database cannot take writes (or any request) for now: its disk is
    /// full, it is down, restarting or out of connections. Nothing was
    /// written; the same request will work once it is back.
    #[error("the database is unavailable for now")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether running the whole operation again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Retry(_))
    }

    /// Whether the database, not the request, is at fault, for now.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Retry(_))
    }
}

/// Codes of a database that cannot serve for now. PostgreSQL's are
/// five-character SQLSTATEs: insufficient resources (class 53, a full disk
/// among them), lost connections (class 08), a server shutting down or not yet
/// accepting connections (57P01–57P03). SQLite's are numbers whose low byte is
/// the primary code: 5 busy and 6 locked (past the busy timeout), 10 I/O
/// error, 13 full.
fn unavailable(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("53")
            || code.starts_with("08")
            || matches!(code, "57P01" | "57P02" | "57P03");
    }
    code.parse::<i32>()
        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13))
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
            sqlx::Error::Database(d) if d.code().is_some_and(|c| unavailable(&c)) => {
                StoreError::Unavailable(e)
            }
            // A connection broken under us (a server stopping answers a
            // handshake with garbage: a protocol or TLS error, not a SQL
            // one) is the database down too; what the request did was not
            // committed.
            sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            _ => StoreError::Database(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a PostgreSQL being shut down answers a connection it is taking
    /// (seen in the fault suite: `pg_ctl stop -m immediate` under load) is
    /// the database down, not a request's fault: 503, retry.
    #[test]
    fn a_connection_broken_by_a_stopping_server_is_unavailable() {
        for broken in [
            sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into()),
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
            sqlx::Error::PoolTimedOut,
        ] {
            let e = StoreError::from(broken);
            assert!(e.is_unavailable(), "{e:?}");
        }
        assert!(!StoreError::from(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::from(sqlx::Error::ColumnNotFound("serial".into())).is_unavailable());
    }
}
