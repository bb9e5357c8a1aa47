//! `certhall token …`: USB keys the CA hands out. `escrow` keeps a key's SO
//! PIN, sealed under the CA key passphrase, so the holder can reset a forgotten
//! PIN online (找回密码). The SO PIN is read from standard input, never from the
//! command line (where `ps` and shell history would show it).

use std::io::BufRead;

use domain::Mobile;
use secrecy::SecretString;

use crate::cli::TokenCommand;
use crate::config::Settings;
use crate::{AppError, setup};

pub async fn run(settings: &Settings, cmd: TokenCommand) -> Result<(), AppError> {
    match cmd {
        TokenCommand::Escrow { serial, mobile } => {
            let mobile = Mobile::parse(&mobile).map_err(|e| {
                AppError::Input(match e {
                    domain::ParseError::Invalid { reason, .. } => format!("--mobile: {reason}"),
                    domain::ParseError::Missing { .. } => "--mobile is required".into(),
                })
            })?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                AppError::Input(format!("cannot read the SO PIN from standard input: {e}"))
            })?;
            let so_pin = SecretString::from(line.trim().to_string());
            let (db, keys, _) = setup::open_store(settings).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let result = ra::business::unlock::escrow_so_pin(
                &db,
                &keys,
                now,
                &serial,
                &mobile,
                &so_pin,
                &super::ca::actor(),
            )
            .await;
            db.close().await;
            result?;
            println!(
                "SO PIN of key {serial} held in escrow; PIN resets go to {}",
                mobile.masked()
            );
            Ok(())
        }
    }
}
