//! The key a command works on: the PKCS#11 module loaded, the token picked
//! (`--token` when several are in), the holder's login.

use crate::error::Error;
use crate::token::{Module, Token, TokenInfo};

use super::args::Cli;
use super::term::Pins;

/// The module of `--module`, or SoftHSM2's.
pub(super) fn module(cli: &Cli) -> Result<Module, Error> {
    let path = cli
        .module
        .clone()
        .or_else(crate::token::default_module)
        .ok_or_else(|| {
            Error::Usage("请用 --module 指定证书介质的 PKCS#11 驱动（未找到 SoftHSM2）".into())
        })?;
    Module::load(&path)
}

/// The token named `label`, or the only one inserted, with a session on it.
pub(super) fn pick(module: &Module, label: Option<&str>) -> Result<(TokenInfo, Token), Error> {
    let tokens = module.tokens()?;
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
    let token = module.open(info.slot)?;
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

/// The module, the key picked and logged in: where most businesses start.
pub(super) fn signed_in(cli: &Cli, pins: &mut Pins) -> Result<(TokenInfo, Token), Error> {
    let module = module(cli)?;
    let (info, token) = pick(&module, cli.token.as_deref())?;
    login(&token, &info, pins)?;
    Ok((info, token))
}
