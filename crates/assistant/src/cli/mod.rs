//! The command line: `status`, `hall`, `change`, `pin`. Messages are for the
//! holder, in Chinese; errors go to stderr with exit code 1 (2 for usage).
//!
//! The PIN is asked for on the terminal (not echoed), or read from standard
//! input with `--pin-stdin` (one line; for `pin`, the old then the new). It is
//! used for the one login and never printed, logged or stored.
//!
//! - `args`: the clap definitions of the flags and subcommands;
//! - `term`: PINs read from the terminal or standard input, and writing out;
//! - `key`: the drivers loaded, the key picked, the login;
//! - one file per group of subcommands: `status`, `hall`, `change` (and
//!   `renew`), `revoke`, `pickup`, `seal`, `pin` (and `unlock`), `operator`
//!   (`token init`), `desktop` (`gui`, `open`, `bridge`, `install`).

mod args;
mod change;
mod desktop;
mod hall;
mod key;
mod operator;
mod pickup;
mod pin;
mod revoke;
mod seal;
mod status;
mod term;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, RekeyArgs, TokenCmd};
use term::Pins;

use crate::error::Error;

fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    let mut pins = Pins::new(cli.pin_stdin);
    let pins = &mut pins;
    match &cli.command {
        Command::Hall => hall::hall(&cli, out),
        Command::Status { online } => status::status(&cli, *online, pins, out),
        Command::Change(args) => change::rekey(&cli, args, "change", pins, out),
        Command::Renew(args) => change::rekey(&cli, args, "renew", pins, out),
        Command::Pickup { code, key_type } => pickup::pickup(&cli, code, key_type, pins, out),
        Command::Seal { serial, no_browser } => {
            seal::seal(&cli, serial.as_deref(), *no_browser, pins, out)
        }
        Command::Revoke { serial, no_browser } => {
            revoke::revoke(&cli, serial.as_deref(), *no_browser, pins, out)
        }
        Command::Open { url } => desktop::open(&cli, url),
        Command::Bridge { port, allow_origin } => desktop::bridge(&cli, *port, allow_origin),
        Command::Token(TokenCmd::Init {
            label,
            mobile,
            operator,
        }) => operator::init(&cli, label, mobile, operator, pins, out),
        Command::Install { no_window } => desktop::install(&cli, *no_window, out),
        Command::DesktopEntries { root } => desktop::entries(&cli, root),
        Command::Gui { page } => desktop::gui(&cli, *page),
        Command::Unlock => pin::unlock(&cli, pins, out),
        Command::Pin => pin::change(&cli, pins, out),
        Command::Decrypt { input, serial } => {
            status::decrypt(&cli, input, serial.as_deref(), pins, out)
        }
    }
}

/// Parses the arguments, runs, and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(cli, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ Error::Usage(_)) => {
            eprintln!("错误：{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}
