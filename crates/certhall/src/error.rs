use std::path::PathBuf;

use crate::config::ConfigError;

/// Why a command failed. Printed to the operator as one line per cause.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Ca(#[from] ca::CaError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Ra(#[from] ra::RaError),
    #[error("{0}")]
    Input(String),
    #[error("{action} {path}: {source}")]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the audit log is broken at entry {seq}: {reason}")]
    AuditBroken { seq: i64, reason: String },
    #[error("bench: {0}")]
    Bench(String),
    #[error(transparent)]
    Kmc(#[from] kmc::KmcError),
}

impl AppError {
    pub fn file(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AppError::File {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<ca::PkiError> for AppError {
    fn from(e: ca::PkiError) -> Self {
        AppError::Ca(e.into())
    }
}
