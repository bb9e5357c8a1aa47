//! A scratch PostgreSQL database for the PostgreSQL runs, created on the
//! server named by `CERTHALL_BENCH_POSTGRES` (the local one by default) and
//! dropped afterwards.

use sqlx::Connection;

const DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct ScratchDb {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    /// The reason as text when there is no PostgreSQL to use: the table shows it.
    pub async fn create() -> Result<ScratchDb, String> {
        let admin = std::env::var("CERTHALL_BENCH_POSTGRES").unwrap_or_else(|_| DEFAULT.into());
        let name = format!("certhall_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .map_err(|e| format!("{}: {e}", store::redact_url(&admin)))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("CREATE DATABASE: {e}"))?;
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(ScratchDb {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    pub async fn drop_it(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}
