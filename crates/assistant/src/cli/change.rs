//! `change` and `renew`: open the business's form, show the application's
//! state, or, once approved, write the new certificate into the key.

use std::io::Write;

use crate::change::{self, Outcome};
use crate::client::Client;
use crate::error::Error;

use super::args::{Cli, RekeyArgs, key_kind};
use super::key::signed_in;
use super::term::{Pins, io};

/// `business` is `change` or `renew`, the form opened when none is under way.
pub(super) fn rekey(
    cli: &Cli,
    args: &RekeyArgs,
    business: &str,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let RekeyArgs {
        serial,
        key_type,
        no_browser,
    } = args;
    let kind = key_kind(key_type)?;
    let (_, token) = signed_in(cli, pins)?;
    let kind = kind.unwrap_or(token.default_kind());
    let client = Client::new(&cli.server)?;
    match change::run(&token, &client, serial.as_deref(), kind, business)? {
        Outcome::Opened { url } => {
            writeln!(
                out,
                "请在浏览器中填写基本信息（链接 5 分钟内有效，仅可使用一次）："
            )
            .map_err(io)?;
            writeln!(out, "{url}").map_err(io)?;
            if !no_browser {
                super::term::open_browser(&url, out)?;
            }
        }
        Outcome::Pending {
            business,
            state_label,
        } => {
            writeln!(out, "{business}申请状态：{state_label}").map_err(io)?;
        }
        Outcome::Completed {
            application_id,
            business,
            serial,
        } => {
            writeln!(
                out,
                "{business}已完成：新证书（序列号 {serial}）已写入证书介质，原证书已删除。"
            )
            .map_err(io)?;
            writeln!(out, "申请编号：{application_id}").map_err(io)?;
        }
    }
    Ok(())
}
