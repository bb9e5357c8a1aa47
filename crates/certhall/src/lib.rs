//! The `certhall` program as a library, so integration tests start exactly what
//! the binary starts.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod http;
pub mod kmc;
pub mod server;
pub mod setup;

pub use error::AppError;
