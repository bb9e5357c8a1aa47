//! 数字证书助手 (certhall-assistant): the only part of certhall that touches the
//! holder's USB key. One library, two faces: the command line (`cli`) and, on
//! the desktop, a window over the same calls.
//!
//! - `token`: the key over PKCS#11 — certificates, signing, key generation,
//!   writing and removing objects.
//! - `csr`: PKCS#10 requests signed inside the token.
//! - `client`: the server's API (办事大厅, hand-off, status, issue, complete).
//! - `change`: the 证书变更 flow, resumable after a crash at any step.
//! - `gui`: the window (eframe/egui) over the same calls.
//! - `bridge`, `install`: how the portal finds and opens the assistant.

pub mod bridge;
pub mod change;
#[cfg(feature = "gui")]
pub mod cli;
pub mod client;
pub mod csr;
#[cfg(feature = "gui")]
pub mod gui;
pub mod install;
pub mod pickup;
pub mod seal;
pub mod token;

/// What can go wrong, in words for the holder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("PIN 不正确")]
    WrongPin,
    #[error("PIN 已锁定，请使用“找回密码”解锁")]
    PinLocked,
    #[error("证书介质已被拔出，请插入后重试")]
    TokenRemoved,
    #[error("证书介质操作失败：{0}")]
    Token(String),
    #[error("无法连接服务器：{0}")]
    Network(String),
    #[error("服务器拒绝：{0}")]
    Refused(String),
    #[error("{0}")]
    Server(String),
    #[error("{0}")]
    Usage(String),
}
