use std::collections::BTreeMap;

use domain::Msg;
use thiserror::Error;

/// Field → message, for forms that show each error next to its field.
pub type FieldErrors = BTreeMap<&'static str, Msg>;

/// What the RA refuses. Every variant has a message for the person who asked
/// (`msg`), translatable by the web layer; `Display` gives it in Chinese.
#[derive(Debug, Error)]
pub enum RaError {
    /// The request is wrong (400).
    #[error("{0}")]
    Invalid(Msg),
    /// The form has wrong fields.
    #[error("表单填写有误")]
    Form(FieldErrors),
    /// A hand-off proof or link that does not hold.
    #[error("{0}")]
    Handoff(Msg),
    /// Not possible in the current state (409).
    #[error("{0}")]
    Conflict(Msg),
    #[error("{0}")]
    Upload(Msg),
    /// Required materials not yet uploaded, by kind.
    #[error("请上传所需材料：{}", .0.join("、"))]
    MissingMaterials(Vec<String>),
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
    /// The staff member's role does not allow it (403).
    #[error("没有权限进行此操作")]
    Forbidden,
    /// The role allows it, but not for this person here: four eyes (403).
    #[error("{0}")]
    NotYours(Msg),
    /// An API request without a working key (401).
    #[error("API 密钥无效或已停用")]
    BadApiKey,
    /// Staff sign-in refused; one message for every reason.
    #[error("{}", crate::staff::SIGNIN_FAILED)]
    SignInFailed,
    /// Not found, or not this holder's: the same answer, so ids do not leak.
    #[error("未找到该记录")]
    NotFound,
    #[error("短信发送失败，请稍后再试")]
    SmsFailed(#[source] std::io::Error),
    #[error("文件存储失败")]
    Blob(#[source] object_store::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Ca(#[from] ca::CaError),
}

impl From<ca::PkiError> for RaError {
    fn from(e: ca::PkiError) -> Self {
        RaError::Ca(e.into())
    }
}

impl RaError {
    /// The database cannot serve for now (a full disk, a restart): nothing
    /// was done, and the same request will work once it is back.
    pub fn is_unavailable(&self) -> bool {
        match self {
            RaError::Store(e) | RaError::Ca(ca::CaError::Store(e)) => e.is_unavailable(),
            // The KMC down: nothing issued, the same step later completes it.
            RaError::Ca(ca::CaError::Kmc(_)) => true,
            _ => false,
        }
    }

    /// The message to show, with its arguments, ready for translation.
    pub fn msg(&self) -> Msg {
        if let RaError::Ca(ca::CaError::Kmc(_)) = self {
            return Msg::new(KMC_UNAVAILABLE);
        }
        if self.is_unavailable() {
            return Msg::new(UNAVAILABLE);
        }
        match self {
            RaError::Invalid(m)
            | RaError::Handoff(m)
            | RaError::Conflict(m)
            | RaError::NotYours(m)
            | RaError::Upload(m) => m.clone(),
            RaError::Form(_) => Msg::new("表单填写有误"),
            RaError::MissingMaterials(_) => Msg::new("请上传所需材料"),
            RaError::RateLimited { retry_after_secs } => {
                Msg::new("操作过于频繁，请 {seconds} 秒后再试").arg("seconds", retry_after_secs)
            }
            RaError::CodeWrong { remaining } => {
                Msg::new("验证码不正确，还可尝试 {remaining} 次").arg("remaining", remaining)
            }
            RaError::CodeExpired => Msg::new("验证码已过期，请重新获取"),
            RaError::CodeUsed => Msg::new("验证码已使用，请重新获取"),
            RaError::CodeLocked => Msg::new("验证码错误次数过多，请重新获取"),
            RaError::CodeMissing => Msg::new("请先获取验证码"),
            RaError::NotFound => Msg::new("未找到该记录"),
            RaError::Forbidden => Msg::new("没有权限进行此操作"),
            RaError::SignInFailed => Msg::new(crate::staff::SIGNIN_FAILED),
            RaError::BadApiKey => Msg::new("API 密钥无效或已停用"),
            RaError::SmsFailed(_) => Msg::new("短信发送失败，请稍后再试"),
            RaError::Blob(_) | RaError::Store(_) | RaError::Ca(_) => {
                Msg::new("服务器内部错误，请稍后重试")
            }
        }
    }
}

/// What a person is told while the database cannot serve.
pub const UNAVAILABLE: &str = "服务暂时不可用，请稍后再试";

/// What a holder is told while the KMC cannot deliver an encryption key
/// pair: nothing was issued, and the same step later completes it.
pub const KMC_UNAVAILABLE: &str = "加密密钥暂时无法生成（密钥管理中心无响应），签名证书与加密证书均未签发；请稍后重试，重试不会重复签发";
