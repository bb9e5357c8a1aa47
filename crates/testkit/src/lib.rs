//! Test support shared by the crates' integration tests.
//!
//! - [`TestDb`]: a fresh database per test, SQLite (temp file) or PostgreSQL (a new
//!   database on the server at `CERTHALL_TEST_PG_ADMIN_URL`, default
//!   `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards).
//! - [`openssl`]: the `openssl` command line as the outside checker.
//! - [`on_both_databases!`]: runs a test function once per backend.
//! - [`softhsm`]: a SoftHSM2 token as a holder's USB key; [`softskf`]: a
//!   software SKF key (GM/T 0016) as an SM2 one; [`outbox`]: the SMS outbox as
//!   the holder's phone.
//!
//! PostgreSQL is not optional: if it cannot be reached the test fails and says
//! how to start it. Nothing is skipped silently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support only: a failure here is the test's"
)]

pub mod openssl;
pub mod outbox;
pub mod softhsm;
pub mod softskf;

use std::path::PathBuf;

use sqlx::Connection;
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_admin_url() -> String {
    std::env::var("CERTHALL_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb {
                    url,
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let name = format!("certhall_t_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for this test and {admin} is not reachable ({e}).\n\
                         Run the README's test command (scripts/test), which starts it, or set \
                         CERTHALL_TEST_PG_ADMIN_URL."
                    )
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside async context; use a small runtime of our own.
            let admin = pg_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A temporary directory that outlives the test when `CERTHALL_KEEP_TEST_DIRS` is
/// set, for looking at what a failing test produced.
pub fn temp_dir() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("certhall-test-")
        .tempdir()
        .expect("temp dir");
    if std::env::var_os("CERTHALL_KEEP_TEST_DIRS").is_some() {
        let path: PathBuf = dir.keep();
        eprintln!("keeping test dir {}", path.display());
        return tempfile::Builder::new()
            .prefix("certhall-kept-")
            .tempdir_in(path)
            .expect("temp dir");
    }
    dir
}

/// Defines `mod sqlite` and `mod postgres`, each with one `#[tokio::test]` per
/// listed function, calling it with that backend.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
