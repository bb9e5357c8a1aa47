//! `pickup`: 在线新办, 在线补办 — writes the certificate of an approved
//! application into this key, with its 写入码.

use std::io::Write;

use crate::client::Client;
use crate::error::Error;

use super::args::{Cli, key_kind};
use super::key::signed_in;
use super::term::{Pins, io};

pub(super) fn pickup(
    cli: &Cli,
    code: &str,
    key_type: &str,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let kind = key_kind(key_type)?;
    let (info, token) = signed_in(cli, pins)?;
    let kind = kind.unwrap_or(token.default_kind());
    let client = Client::new(&cli.server)?;
    let done = crate::pickup::run(&token, &client, code, kind)?;
    writeln!(
        out,
        "证书（序列号 {}）已写入证书介质“{}”。",
        done.serial, info.label
    )
    .map_err(io)?;
    if !done.earlier_serials.is_empty() {
        writeln!(
            out,
            "原加密密钥已取回（加密证书序列号 {}），以往加密给原证书的文件可用 decrypt 解密。",
            done.earlier_serials.join("、")
        )
        .map_err(io)?;
    }
    if done.state == "COMPLETED" {
        writeln!(out, "业务已办理完成。申请编号：{}", done.application_id).map_err(io)?;
    } else {
        writeln!(out, "请在后台登记发货。申请编号：{}", done.application_id).map_err(io)?;
    }
    Ok(())
}
