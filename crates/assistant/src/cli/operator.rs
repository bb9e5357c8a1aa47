//! `token init`, for CA operators: a blank key initialised for a holder, its
//! SO PIN (an SKF key's administrator PIN) random and handed to the CA for
//! 找回密码, never shown.

use std::io::Write;

use secrecy::{ExposeSecret, SecretString};

use crate::client::Client;
use crate::error::Error;

use super::args::Cli;
use super::key::drivers;
use super::term::{Pins, io};

pub(super) fn init(
    cli: &Cli,
    label: &str,
    mobile: &str,
    operator: &str,
    pins: &mut Pins,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let drivers = drivers(cli)?;
    let client = Client::new(&cli.server)?;
    let slot = drivers
        .blank()?
        .ok_or_else(|| Error::Usage("没有未初始化的证书介质，请插入空白 USB Key".into()))?;
    let password = pins.next("操作员密码：")?;
    let code = pins.next("操作员动态口令：")?;
    let user_pin = pins.next("持有人的初始 PIN（6–16 位）：")?;
    if !(6..=16).contains(&user_pin.expose_secret().chars().count()) {
        return Err(Error::Usage("PIN 应为 6–16 位".into()));
    }
    // Many SKF keys take PINs of at most 16 characters; 64 random bits are
    // ample for a PIN the key locks after a few wrong tries.
    let so_pin = random_so_pin(match slot {
        crate::token::KeySlot::Skf { .. } => 8,
        crate::token::KeySlot::Pkcs11 { .. } => 16,
    })?;
    drivers.init(&slot, &so_pin, label)?;
    drivers.open(&slot)?.reset_user_pin(&so_pin, &user_pin)?;
    let serial = drivers.serial_of(&slot)?;
    if let Err(e) = client.escrow(operator, &password, &code, &serial, mobile, &so_pin) {
        // A key whose SO PIN the CA does not hold cannot be unlocked online:
        // an SKF key is made blank again; a PKCS#11 one is initialised over
        // by the next run.
        return Err(match drivers.undo_init(&slot) {
            Ok(true) => Error::Server(format!(
                "SO PIN 未能交由 CA 保管（{e}），证书介质（序列号 {serial}）已恢复为空白介质，请重新初始化"
            )),
            Ok(false) => Error::Server(format!(
                "证书介质（序列号 {serial}）已初始化，但 SO PIN 未能交由 CA 保管（{e}）；\
                 该介质无法在线找回密码，请重新初始化"
            )),
            Err(undo) => Error::Server(format!(
                "证书介质（序列号 {serial}）已初始化，但 SO PIN 未能交由 CA 保管（{e}），\
                 也未能恢复为空白介质（{undo}）；该介质无法在线找回密码，请重新初始化"
            )),
        });
    }
    writeln!(
        out,
        "证书介质“{label}”（序列号 {serial}）已初始化；SO PIN 已交由 CA 保管，找回密码的验证码将发至预留手机"
    )
    .map_err(io)?;
    Ok(())
}

/// `bytes` random bytes, in hex.
fn random_so_pin(bytes: usize) -> Result<SecretString, Error> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).map_err(|e| Error::Token(format!("无法生成随机数：{e}")))?;
    Ok(SecretString::from(hex::encode(random)))
}
