use std::collections::BTreeMap;

use thiserror::Error;

/// What the RA refuses, with messages for the person who asked (in Chinese: the
/// portal's default language; the web layer may translate by variant).
#[derive(Debug, Error)]
pub enum RaError {
    #[error("{0}")]
    Invalid(String),
    /// Field → message, for forms that show errors next to each field.
    #[error("表单填写有误")]
    Form(BTreeMap<&'static str, String>),
    #[error("操作过于频繁，请 {retry_after_secs} 秒后再试")]
    RateLimited { retry_after_secs: u64 },
    #[error("验证码不正确，还可尝试 {remaining} 次")]
    CodeWrong { remaining: i64 },
    #[error("验证码已过期，请重新获取")]
    CodeExpired,
    #[error("验证码已使用，请重新获取")]
    CodeUsed,
    #[error("验证码错误次数过多，请重新获取")]
    CodeLocked,
    #[error("请先获取验证码")]
    CodeMissing,
    #[error("{0}")]
    Handoff(String),
    /// Not found, or not this holder's: the same answer, so ids do not leak.
    #[error("未找到该记录")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Upload(String),
    #[error("短信发送失败，请稍后再试")]
    SmsFailed(#[source] std::io::Error),
    #[error("文件存储失败")]
    Blob(#[source] object_store::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Ca(#[from] ca::CaError),
}
