//! `softskf-util`: makes, lists and removes softskf devices.
//!
//! A device is a folder of the devices directory (the one `SOFTSKF_DIR`
//! names for the library), so making one is plugging a key in and removing
//! it pulling the key out; a program waiting in `SKF_WaitForDevEvent` sees
//! both.
//!
//! ```text
//! softskf-util create --dir D --name NAME [--label L] [--serial S]
//! softskf-util init   --dir D --name NAME --app certhall --admin-pin P --user-pin P [--retries 6]
//! softskf-util list   --dir D
//! softskf-util remove --dir D --name NAME
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use softskf::pin::{PIN_LEN, Pin, RETRIES};
use softskf::sgd::SECURE_ANYONE_ACCOUNT;
use softskf::store::{AppRecord, Name, Root, StoreError};
use softskf::{crypto, limits};

#[derive(Parser)]
#[command(
    name = "softskf-util",
    about = "Makes, lists and removes softskf test USB keys."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plugs in a blank key: no application, as a new key from the vendor
    /// (the holder's software creates the application).
    Create {
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Plugs in a key with one application and its two PINs.
    Init {
        #[command(flatten)]
        device: DeviceArgs,
        /// The application's name.
        #[arg(long)]
        app: String,
        /// The administrator PIN (6 to 32 bytes).
        #[arg(long)]
        admin_pin: String,
        /// The user PIN (6 to 32 bytes).
        #[arg(long)]
        user_pin: String,
        /// Tries before each PIN locks (1 to 15).
        #[arg(long, default_value_t = 6)]
        retries: u32,
    },
    /// Lists the keys plugged in: name, label, serial number, applications.
    List {
        /// The devices directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Pulls a key out and deletes it.
    Remove {
        /// The devices directory.
        #[arg(long)]
        dir: PathBuf,
        /// The device's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(clap::Args)]
struct DeviceArgs {
    /// The devices directory (made if missing).
    #[arg(long)]
    dir: PathBuf,
    /// The device's name, which is its folder's (1 to 31 bytes).
    #[arg(long)]
    name: String,
    /// The label `SKF_GetDevInfo` reports (the name if not given).
    #[arg(long)]
    label: Option<String>,
    /// The serial number `SKF_GetDevInfo` reports (random if not given).
    #[arg(long)]
    serial: Option<String>,
}

/// Why a command failed, in words for the person who typed it.
#[derive(Debug, thiserror::Error)]
enum UtilError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("softskf-util: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), UtilError> {
    match command {
        Command::Create { device } => {
            create(&device, &[])?;
            println!("plugged in {}", device.name);
        }
        Command::Init {
            device,
            app,
            admin_pin,
            user_pin,
            retries,
        } => {
            let record = application(&app, &admin_pin, &user_pin, retries)?;
            create(&device, &[record])?;
            println!("plugged in {} with application {app}", device.name);
        }
        Command::List { dir } => {
            let root = Root::new(dir);
            for name in root.devices() {
                let device = root.device(&name)?;
                let record = device.record()?;
                let apps: Vec<String> = device.app_names()?.iter().map(Name::display).collect();
                println!(
                    "{name}\tlabel={}\tserial={}\tapplications={}",
                    record.label,
                    record.serial,
                    apps.join(",")
                );
            }
        }
        Command::Remove { dir, name } => {
            Root::new(dir).remove_device(&name)?;
            println!("removed {name}");
        }
    }
    Ok(())
}

fn create(args: &DeviceArgs, apps: &[AppRecord]) -> Result<(), UtilError> {
    let label = args.label.clone().unwrap_or_else(|| args.name.clone());
    let serial = match &args.serial {
        Some(serial) => serial.clone(),
        None => random_serial()?,
    };
    Root::new(&args.dir).create_device(&args.name, &label, &serial, apps)?;
    Ok(())
}

/// An application with create-file rights for anyone, as vendors' default
/// applications have.
fn application(
    name: &str,
    admin_pin: &str,
    user_pin: &str,
    retries: u32,
) -> Result<AppRecord, UtilError> {
    let name = Name::new(name.as_bytes(), limits::NAME_MAX).map_err(|_| {
        UtilError::Invalid(format!(
            "application name {name:?}: 1 to {} bytes",
            limits::NAME_MAX
        ))
    })?;
    if !RETRIES.contains(&retries) {
        return Err(UtilError::Invalid(format!(
            "--retries {retries}: {} to {}",
            RETRIES.start(),
            RETRIES.end()
        )));
    }
    let pin = |which: &str, value: &str| {
        Pin::new(value.as_bytes()).map_err(|_| {
            UtilError::Invalid(format!(
                "{which}: {} to {} bytes",
                PIN_LEN.start(),
                PIN_LEN.end()
            ))
        })
    };
    let admin = pin("--admin-pin", admin_pin)?;
    let user = pin("--user-pin", user_pin)?;
    AppRecord::new(
        name,
        (&admin, retries),
        (&user, retries),
        SECURE_ANYONE_ACCOUNT,
    )
    .map_err(|error| UtilError::Invalid(format!("application: {error}")))
}

fn random_serial() -> Result<String, UtilError> {
    let mut bytes = [0u8; 8];
    crypto::random(&mut bytes)
        .map_err(|_| UtilError::Invalid("the system's random source failed".into()))?;
    Ok(format!("SOFTSKF{}", hex::encode_upper(bytes)))
}
