//! `status`: the inserted keys and their certificates; with `--online`, their
//! status and applications on the platform.

use std::io::Write;

use crate::change;
use crate::client::{self, Client};
use crate::error::Error;
use crate::token::{Drivers, Token, TokenInfo};

use super::args::Cli;
use super::key::{drivers, login};
use super::term::{Pins, io};

pub(super) fn status(
    cli: &Cli,
    online: bool,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let drivers = drivers(cli)?;
    let tokens = drivers.tokens()?;
    if tokens.is_empty() {
        writeln!(out, "未检测到证书介质").map_err(io)?;
    }
    let client = if online {
        Some(Client::new(&cli.server)?)
    } else {
        None
    };
    for info in tokens {
        if cli.token.as_deref().is_some_and(|l| l != info.label) {
            continue;
        }
        one_token(&drivers, &info, client.as_ref(), pins, out)?;
    }
    Ok(())
}

/// One key: its name, the PIN warning, and each certificate (with the
/// platform's word on it when `client` is there).
fn one_token(
    drivers: &Drivers,
    info: &TokenInfo,
    client: Option<&Client>,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    writeln!(
        out,
        "证书介质：{}（{} {}，{}，序列号 {}）",
        info.label,
        info.manufacturer,
        info.model,
        info.interface.name(),
        info.serial
    )
    .map_err(io)?;
    if let Some(w) = info.pin_warning() {
        writeln!(out, "  {w}").map_err(io)?;
    }
    let token = drivers.open(&info.slot)?;
    if let Some(client) = client {
        login(&token, info, pins)?;
        online(&token, client, out)?;
    } else {
        for c in token.certificates()? {
            describe(out, &c.der).map_err(io)?;
            encryption_line(&token, &c.id, out)?;
        }
    }
    Ok(())
}

/// 双证书: the encryption certificate next to a signing one, if any.
fn encryption_line(token: &Token, id: &[u8], out: &mut dyn Write) -> Result<(), Error> {
    if let Some(der) = token.encryption_certificate(id)? {
        writeln!(
            out,
            "  加密证书：序列号 {}",
            change::serial_of(&der).unwrap_or_default()
        )
        .map_err(io)?;
    }
    Ok(())
}

/// `decrypt`: a DER SM2 ciphertext, decrypted inside the key with the
/// encryption key of the (chosen) certificate; the plaintext to `out`.
pub(super) fn decrypt(
    cli: &Cli,
    input: &std::path::Path,
    serial: Option<&str>,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let der = std::fs::read(input)
        .map_err(|e| Error::Usage(format!("无法读取 {}：{e}", input.display())))?;
    let cipher = pki::envelope::Sm2Cipher::from_der(&der)
        .map_err(|_| Error::Usage(format!("{} 不是 SM2 密文（DER）", input.display())))?;
    let (_, token) = super::key::signed_in(cli, pins)?;
    // The current certificates' encryption keys first, then (without a
    // serial) the earlier keys 在线补办 brought back, each in its own
    // container: the key whose C3 checks out is the file's.
    let mut ids: Vec<Vec<u8>> = change::candidates(&token, serial)?
        .iter()
        .map(|h| h.cert.id.clone())
        .collect();
    if serial.is_none() {
        for key in token.keys()? {
            if !ids.contains(&key.id) {
                ids.push(key.id);
            }
        }
    }
    ids.retain(|id| matches!(token.encryption_certificate(id), Ok(Some(_))));
    let mut last = Error::Usage("证书介质中没有加密证书（双证书）".into());
    for id in &ids {
        match token.decrypt(id, &cipher) {
            Ok(plain) => return out.write_all(&plain).map_err(io),
            Err(e) => last = e,
        }
    }
    if ids.len() > 1 {
        last = Error::Usage(format!(
            "证书介质中的 {} 个加密密钥都不能解密该文件：它不是加密给这些加密证书的",
            ids.len()
        ));
    }
    Err(last)
}

/// Each certificate with its key, its status and applications on the platform.
fn online(token: &Token, client: &Client, out: &mut dyn Write) -> Result<(), Error> {
    for h in change::holders(token)? {
        describe(out, &h.cert.der).map_err(io)?;
        encryption_line(token, &h.cert.id, out)?;
        let st = client.status(&h)?;
        let status = client::status_label(&st);
        writeln!(out, "  状态：{status}").map_err(io)?;
        if let Some(line) = st.renewal_line() {
            writeln!(out, "  {line}").map_err(io)?;
        }
        for a in &st.applications {
            writeln!(out, "  业务：{} · {}", a.business_name, a.state_label).map_err(io)?;
        }
    }
    earlier_lines(token, out)
}

/// The earlier encryption keys 在线补办 brought back.
fn earlier_lines(token: &Token, out: &mut dyn Write) -> Result<(), Error> {
    for der in crate::earlier::in_key(token)? {
        writeln!(
            out,
            "原加密证书：序列号 {}（在线补办取回，用于解密以往的文件）",
            change::serial_of(&der).unwrap_or_default()
        )
        .map_err(io)?;
    }
    Ok(())
}

/// A certificate's holder, serial, issuer and validity.
fn describe(out: &mut dyn Write, der: &[u8]) -> std::io::Result<()> {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return writeln!(out, "  （无法解析的证书）");
    };
    let tbs = cert.tbs_certificate();
    let v = tbs.validity();
    writeln!(out, "  持有人：{}", tbs.subject())?;
    writeln!(
        out,
        "  序列号：{}",
        change::serial_of(der).unwrap_or_default()
    )?;
    writeln!(out, "  颁发者：{}", tbs.issuer())?;
    writeln!(out, "  有效期：{} 至 {}", v.not_before, v.not_after)
}
