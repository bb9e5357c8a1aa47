//! `pin` and `unlock`: the user PIN changed with the current one, or reset
//! after an SMS code to the mobile reserved for the key (找回密码).

use std::io::Write;

use secrecy::{ExposeSecret, SecretString};

use crate::client::Client;
use crate::error::Error;

use super::args::Cli;
use super::key::{drivers, pick};
use super::term::{Pins, io};

/// A new PIN is 6 to 16 characters.
fn check_new(new: &SecretString) -> Result<(), Error> {
    let n = new.expose_secret().chars().count();
    if !(6..=16).contains(&n) {
        return Err(Error::Usage("新 PIN 应为 6–16 位".into()));
    }
    Ok(())
}

/// `pin`: the current PIN, then the new one.
pub(super) fn change(cli: &Cli, pins: &mut Pins, out: &mut dyn Write) -> Result<(), Error> {
    let drivers = drivers(cli)?;
    let (info, token) = pick(&drivers, cli.token.as_deref())?;
    let old = pins.next("请输入当前 PIN：")?;
    let new = pins.next("请输入新 PIN（6–16 位）：")?;
    check_new(&new)?;
    token.login(&old)?;
    token.change_pin(&old, &new)?;
    writeln!(out, "证书介质“{}”的 PIN 已修改", info.label).map_err(io)?;
    Ok(())
}

/// `unlock`: the platform sends an SMS code; with it, it hands over the SO
/// PIN, which sets the new PIN.
pub(super) fn unlock(cli: &Cli, pins: &mut Pins, out: &mut dyn Write) -> Result<(), Error> {
    let drivers = drivers(cli)?;
    let (info, token) = pick(&drivers, cli.token.as_deref())?;
    let client = Client::new(&cli.server)?;
    let said = client.unlock_start(&info.serial)?;
    writeln!(out, "{said}").map_err(io)?;
    out.flush().map_err(io)?;
    let code = pins.next("请输入短信验证码：")?;
    let new = pins.next("请输入新 PIN（6–16 位）：")?;
    check_new(&new)?;
    match client.unlock_finish(&info.serial, code.expose_secret())? {
        Ok(so_pin) => {
            token.reset_user_pin(&so_pin, &new)?;
            writeln!(out, "证书介质“{}”的 PIN 已重置，请使用新 PIN", info.label).map_err(io)?;
        }
        Err(waiting) => writeln!(out, "{waiting}").map_err(io)?,
    }
    Ok(())
}
