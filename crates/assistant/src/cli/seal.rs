//! `seal`: 签章变更 — opens the form (new seal image and 采样表), shows the
//! application's state, or, once approved, writes the new seal into the key.

use std::io::Write;

use crate::client::Client;
use crate::error::Error;
use crate::seal::SealOutcome;

use super::args::Cli;
use super::key::signed_in;
use super::term::{Pins, io};

pub(super) fn seal(
    cli: &Cli,
    serial: Option<&str>,
    no_browser: bool,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (_, token) = signed_in(cli, pins)?;
    let client = Client::new(&cli.server)?;
    match crate::seal::run(&token, &client, serial)? {
        SealOutcome::Opened { url } => {
            writeln!(
                out,
                "请在浏览器中上传新印章与《电子印章采样表》（链接 5 分钟内有效，仅可使用一次）："
            )
            .map_err(io)?;
            writeln!(out, "{url}").map_err(io)?;
            if !no_browser {
                super::term::open_browser(&url, out)?;
            }
        }
        SealOutcome::Pending { state_label } => {
            writeln!(out, "签章变更申请状态：{state_label}").map_err(io)?;
        }
        SealOutcome::Written {
            application_id,
            bytes,
        } => {
            writeln!(
                out,
                "签章变更已完成：新印章（{bytes} 字节）已写入证书介质。申请编号：{application_id}"
            )
            .map_err(io)?;
        }
    }
    Ok(())
}
