//! certhall's store: every table, reached through one repository layer over
//! SQLite (embedded, the zero-config default) or PostgreSQL (production).
//!
//! All SQL is portable (`$n` placeholders, TEXT/BIGINT/BLOB columns, times as unix
//! ms) and runs through sqlx's `Any` driver; the only backend switch is how a write
//! transaction takes its lock ([`Db::begin_locked`]). State changes are single
//! compare-and-set `UPDATE … RETURNING` statements so two server instances never do
//! the same thing twice. Repository functions take `&mut AnyConnection`, so callers
//! decide what runs in one transaction.

pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod ca_keys;
pub mod certificates;
pub mod counters;
pub mod crls;
mod db;
mod decode;
mod error;
pub mod escrow;
mod filter;
pub mod finance;
pub mod handoff;
pub mod health;
pub mod holders;
pub mod invoices;
pub mod kmc;
pub mod ledger;
pub mod materials;
pub mod orders;
pub mod pairs;
pub mod pickups;
pub mod prices;
pub mod rate;
pub mod recoveries;
pub mod refunds;
pub mod review;
pub mod secrets;
pub mod sessions;
pub mod shipments;
pub mod sms;
pub mod staff;

pub use db::{Backend, Db, Lock, Tx, redact_url};
pub use error::StoreError;
pub use sqlx::AnyConnection;
