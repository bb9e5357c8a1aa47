//! Connecting, migrating and starting transactions.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool};

use crate::StoreError;
use crate::audit::AuditKey;

static MIGRATE_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATE_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
/// The KMC's own database: a separate file or database, never the CA's.
static MIGRATE_KMC_SQLITE: Migrator = sqlx::migrate!("migrations-kmc/sqlite");
static MIGRATE_KMC_POSTGRES: Migrator = sqlx::migrate!("migrations-kmc/postgres");

pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a write transaction serialises on. On PostgreSQL this is a row lock on the
/// counter of that name; SQLite has one writer at a time anyway (`BEGIN IMMEDIATE`).
#[derive(Debug, Clone, Copy)]
pub enum Lock {
    /// Creating the CA hierarchy.
    CaInit,
    /// Building and publishing a CRL.
    CrlNumber,
}

impl Lock {
    fn counter(self) -> &'static str {
        match self {
            Lock::CaInit => "ca_init",
            Lock::CrlNumber => "crl_number",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Set once at start-up, after the key is unsealed; shared by every clone.
    audit_key: Arc<OnceLock<AuditKey>>,
}

impl Db {
    /// Opens a pool. `sqlite://PATH` creates the file if needed; `postgres://…`
    /// connects to an existing database. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let url = match backend {
            // Without mode=rwc the Any driver refuses to create the file.
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_release(|conn, _| {
                Box::pin(async move {
                    use sqlx::Connection;
                    // A transaction dropped without a commit has its rollback
                    // queued; a ping runs it. A connection still inside a
                    // transaction after that (a COMMIT or ROLLBACK that failed,
                    // as on a full disk) would keep its locks — SQLite's single
                    // write lock among them — so it is closed, not reused.
                    if conn.is_in_transaction()
                        && (conn.ping().await.is_err() || conn.is_in_transaction())
                    {
                        tracing::warn!(
                            "closing a database connection left inside a failed transaction"
                        );
                        return Ok(false);
                    }
                    Ok(true)
                })
            });
        if backend == Backend::Sqlite {
            // Pragmas cannot go in an Any URL; set them per connection. WAL lets the
            // CLI write while the server reads; busy_timeout (5 s) and foreign keys
            // are already on by default.
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(&url).await?;
        Ok(Db {
            pool,
            backend,
            audit_key: Arc::default(),
        })
    }

    /// Applies the migrations of this backend that are not applied yet.
    ///
    /// PostgreSQL serialises concurrent migrators with an advisory lock. SQLite has
    /// none: when two processes start on a fresh file, the loser's transaction
    /// fails ("table … already exists") after the winner commits, and is rolled
    /// back whole; running again then finds everything applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.run_migrations(&MIGRATE_SQLITE, &MIGRATE_POSTGRES)
            .await
    }

    /// Applies the KMC's migrations: for a database that is the KMC's alone.
    pub async fn migrate_kmc(&self) -> Result<(), StoreError> {
        self.run_migrations(&MIGRATE_KMC_SQLITE, &MIGRATE_KMC_POSTGRES)
            .await
    }

    async fn run_migrations(
        &self,
        sqlite: &Migrator,
        postgres: &Migrator,
    ) -> Result<(), StoreError> {
        match self.backend {
            Backend::Postgres => postgres.run(&self.pool).await?,
            Backend::Sqlite => {
                let mut attempt = 0u64;
                loop {
                    match sqlite.run(&self.pool).await {
                        Ok(()) => break,
                        Err(e) if attempt < 5 => {
                            attempt += 1;
                            tracing::debug!(error = %e, attempt, "migration raced another process; retrying");
                            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Hands the unsealed audit key to every clone of this handle. The first
    /// key set stays (an installation has one).
    pub fn set_audit_key(&self, key: AuditKey) {
        let _ = self.audit_key.set(key);
    }

    /// The key every audit entry is authenticated with.
    pub fn audit_key(&self) -> Result<&AuditKey, StoreError> {
        self.audit_key.get().ok_or(StoreError::AuditKeyMissing)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection from the pool, for reads and single statements.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// A plain transaction: fine when its first statement is the claiming write.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that must read before it writes: serialised against every
    /// other holder of the same lock, on both backends.
    pub async fn begin_locked(&self, lock: Lock) -> Result<Tx, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT value FROM counters WHERE name = $1 FOR UPDATE")
                    .bind(lock.counter())
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// A transaction serialised against every other holder of any of `keys`
    /// (PostgreSQL: transaction-scoped advisory locks, taken in sorted order so
    /// two callers never wait on each other; SQLite: `BEGIN IMMEDIATE`, one
    /// writer at a time anyway). For read-then-write work on rows that may not
    /// exist yet, such as counting a rate-limit bucket before adding to it.
    pub async fn begin_keyed(&self, keys: &[&str]) -> Result<Tx, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut sorted = keys.to_vec();
                sorted.sort_unstable();
                sorted.dedup();
                let mut tx = self.pool.begin().await?;
                for key in sorted {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(tx)
            }
        }
    }

    /// One round trip: is the database there?
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://ca:s3cret@db:5432/certhall"),
            "postgres://ca:***@db:5432/certhall"
        );
        assert_eq!(
            redact_url("postgres://root@127.0.0.1/x"),
            "postgres://root@127.0.0.1/x"
        );
    }
}
