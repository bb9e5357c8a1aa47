//! `revoke`: 注销 — proves the key and opens the revocation form (reason,
//! SMS code).

use std::io::Write;

use crate::change;
use crate::client::Client;
use crate::error::Error;

use super::args::Cli;
use super::key::signed_in;
use super::term::{Pins, io};

pub(super) fn revoke(
    cli: &Cli,
    serial: Option<&str>,
    no_browser: bool,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (_, token) = signed_in(cli, pins)?;
    let client = Client::new(&cli.server)?;
    let url = change::open_form(&token, &client, serial, "revoke")?;
    writeln!(
        out,
        "请在浏览器中选择注销原因并以短信验证码确认（链接 5 分钟内有效，仅可使用一次）："
    )
    .map_err(io)?;
    writeln!(out, "{url}").map_err(io)?;
    if !no_browser {
        super::term::open_browser(&url, out)?;
    }
    Ok(())
}
