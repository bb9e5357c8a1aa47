//! The CLI commands other than `serve`. They print results to stdout and
//! explanations to stderr; logs go to stderr too.

pub mod bench;
pub mod ca;
pub mod handoff;
pub mod paysim;
pub mod staff;
pub mod token;

use store::audit::{self, Verdict};

use crate::AppError;
use crate::config::Settings;
use crate::setup;

pub async fn migrate(settings: &Settings) -> Result<(), AppError> {
    let db = setup::open_db(settings).await?;
    println!("database is up to date ({:?})", db.backend());
    db.close().await;
    Ok(())
}

pub async fn audit_verify(settings: &Settings) -> Result<(), AppError> {
    let (db, _, secrets) = setup::open_store(settings).await?;
    let mut conn = db.conn().await?;
    let verdict = audit::verify(&mut conn, &secrets.audit).await?;
    drop(conn);
    db.close().await;
    match verdict {
        Verdict::Intact {
            entries,
            head,
            keyed_after,
        } => {
            println!("audit log intact: {entries} entries, head {head}");
            if keyed_after > 0 {
                println!(
                    "entries 1–{keyed_after} were written before keyed audit (their hash chain \
                     ends where it did then); every later entry carries a MAC"
                );
            } else {
                println!("every entry carries a MAC under the audit key");
            }
            Ok(())
        }
        Verdict::Broken { seq, reason } => Err(AppError::AuditBroken { seq, reason }),
    }
}
