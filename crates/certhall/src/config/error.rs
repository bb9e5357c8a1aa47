//! A configuration value that is wrong, named by its path.

/// A configuration value that is wrong, named by its path.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

pub(super) fn bad(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}
