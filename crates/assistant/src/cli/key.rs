//! The key a command works on: the drivers loaded (`--module`, `--skf`, the
//! settings file), the key picked (`--token` when several are in), the
//! holder's login.

use crate::error::Error;
use crate::token::{Drivers, Token, TokenInfo};

use super::args::Cli;
use super::term::Pins;

/// The drivers of `--module` (or SoftHSM2's), `--skf` and the settings file.
pub(super) fn drivers(cli: &Cli) -> Result<Drivers, Error> {
    let settings = match crate::settings::drivers_file() {
        Some(file) => crate::settings::read_drivers(&file)?,
        None => Default::default(),
    };
    let mut pkcs11: Vec<_> = cli.module.clone().into_iter().collect();
    pkcs11.extend(settings.pkcs11);
    let mut skf = cli.skf.clone();
    skf.extend(settings.skf);
    pkcs11.dedup();
    skf.dedup();
    // SoftHSM2's module when none is named: required if it is all there is,
    // else taken only if it loads.
    let default = if cli.module.is_none() {
        crate::token::default_module()
    } else {
        None
    };
    match default {
        Some(path) if pkcs11.is_empty() && skf.is_empty() => Drivers::load(&[path], &[]),
        Some(path) => Ok(Drivers::load(&pkcs11, &skf)?.with_default_module(path)),
        None if pkcs11.is_empty() && skf.is_empty() => Err(Error::Usage(
            "请用 --module 指定证书介质的 PKCS#11 驱动或用 --skf 指定 SKF 驱动库（未找到 SoftHSM2）"
                .into(),
        )),
        None => Drivers::load(&pkcs11, &skf),
    }
}

/// The token named `label`, or the only one inserted, with a session on it.
pub(super) fn pick(drivers: &Drivers, label: Option<&str>) -> Result<(TokenInfo, Token), Error> {
    let tokens = drivers.tokens()?;
    if label.is_none() && tokens.len() > 1 {
        let names: Vec<&str> = tokens.iter().map(|t| t.label.as_str()).collect();
        return Err(Error::Usage(format!(
            "检测到多个证书介质（{}），请用 --token 指定要使用的一个",
            names.join("、")
        )));
    }
    let info = match label {
        Some(l) => tokens
            .into_iter()
            .find(|t| t.label == l)
            .ok_or_else(|| Error::Usage(format!("未找到名为“{l}”的证书介质")))?,
        None => tokens
            .into_iter()
            .next()
            .ok_or_else(|| Error::Usage("未检测到证书介质，请插入 USB Key".into()))?,
    };
    let token = drivers.open(&info.slot)?;
    Ok((info, token))
}

/// Warns about the PIN tries left, asks for the PIN and logs in.
pub(super) fn login(token: &Token, info: &TokenInfo, pins: &mut Pins) -> Result<(), Error> {
    if let Some(w) = info.pin_warning() {
        eprintln!("注意：{w}");
    }
    let pin = pins.next(&format!("请输入证书介质“{}”的 PIN：", info.label))?;
    token.login(&pin)
}

/// The drivers, the key picked and logged in: where most businesses start.
pub(super) fn signed_in(cli: &Cli, pins: &mut Pins) -> Result<(TokenInfo, Token), Error> {
    let drivers = drivers(cli)?;
    let (info, token) = pick(&drivers, cli.token.as_deref())?;
    login(&token, &info, pins)?;
    Ok((info, token))
}
