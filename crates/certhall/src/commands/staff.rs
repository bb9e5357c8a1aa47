//! `certhall staff …`: back-office accounts. Creating or resetting one prints a
//! one-time set-up link, valid for three days, where the person chooses a
//! password and enrols an authenticator app; nothing secret is printed.

use domain::{Mobile, Role};
use ra::staff::accounts;

use crate::cli::StaffCommand;
use crate::config::Settings;
use crate::{AppError, setup};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub async fn run(settings: &Settings, cmd: StaffCommand) -> Result<(), AppError> {
    let by = super::ca::actor();
    let arg = |flag: &'static str| {
        move |e: domain::ParseError| {
            AppError::Input(match e {
                domain::ParseError::Invalid { reason, .. } => format!("--{flag}: {reason}"),
                domain::ParseError::Missing { .. } => format!("--{flag} is required"),
            })
        }
    };
    // Parse before touching the database: a bad argument changes nothing.
    let db = match &cmd {
        StaffCommand::Add { role, mobile, .. } => {
            role.parse::<Role>().map_err(arg("role"))?;
            if let Some(m) = mobile {
                Mobile::parse(m).map_err(arg("mobile"))?;
            }
            setup::open_store(settings).await?.0
        }
        _ => setup::open_store(settings).await?.0,
    };
    let link = |token: &str| {
        format!(
            "{}/admin/setup/{token}",
            setup::public_url(settings, settings.listen)
        )
    };
    let result = match cmd {
        StaffCommand::Add { name, role, mobile } => {
            let role: Role = role.parse().map_err(arg("role"))?;
            let mobile = mobile
                .as_deref()
                .map(Mobile::parse)
                .transpose()
                .map_err(arg("mobile"))?;
            let token = accounts::add(&db, now_ms(), &name, role, mobile.as_ref(), &by).await?;
            println!("created {name} ({}, {})", role.key(), role.label_zh());
            println!("set-up link (valid 72 hours, once): {}", link(&token));
            Ok(())
        }
        StaffCommand::Reset { name } => {
            let token = accounts::reset(&db, now_ms(), &name, &by).await?;
            println!("{name}: password and authenticator cleared");
            println!("set-up link (valid 72 hours, once): {}", link(&token));
            Ok(())
        }
        StaffCommand::Disable { name } => {
            accounts::disable(&db, now_ms(), &name, &by).await?;
            println!("{name} disabled; their sessions are ended and API keys revoked");
            Ok(())
        }
        StaffCommand::ApiKey { name, label } => {
            let key = ra::staff::api_keys::create(&db, now_ms(), &name, &label, &by).await?;
            eprintln!(
                "API key for {name} ({label}); shown once, send it as `Authorization: Bearer …`:"
            );
            println!("{key}");
            Ok(())
        }
        StaffCommand::List => {
            for s in accounts::list(&db).await? {
                let state = if s.disabled_at.is_some() {
                    "disabled"
                } else if s.password_hash.is_none() {
                    "awaiting set-up"
                } else {
                    "active"
                };
                println!("{:<20} {:<9} {state}", s.name, s.role);
            }
            Ok(())
        }
    };
    db.close().await;
    result
}
