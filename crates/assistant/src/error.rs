//! What can go wrong, in words for the holder.

/// What can go wrong, in words for the holder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("PIN 不正确")]
    WrongPin,
    #[error("PIN 不正确，还可尝试 {0} 次")]
    WrongPinLeft(u32),
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
