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
    let db = setup::open_db(settings).await?;
    let mut conn = db.conn().await?;
    let verdict = audit::verify(&mut conn).await?;
    drop(conn);
    db.close().await;
    match verdict {
        Verdict::Intact { entries, head } => {
            println!("audit log intact: {entries} entries, head {head}");
            Ok(())
        }
        Verdict::Broken { seq, reason } => Err(AppError::AuditBroken { seq, reason }),
    }
}
