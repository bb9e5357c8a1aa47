//! The crate's one error: what the vendor's library answered, or why it was
//! not asked.
//!
//! `Display` is written for the holder (in Chinese, the codes they can act
//! on in words); the code and the function stay in the value for logs.

use std::fmt;

use crate::sar;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkfError {
    /// A function answered a `SAR_*` code other than `SAR_OK`.
    #[error("{}", sar_text(.function, *.code))]
    Sar { function: &'static str, code: u32 },
    /// A wrong PIN (from `SKF_VerifyPIN`, `SKF_ChangePIN`, `SKF_UnblockPIN`);
    /// `remaining` tries are left, 0 meaning it is now locked.
    #[error("{}", pin_text(*.remaining))]
    PinIncorrect { remaining: u32 },
    /// The library could not be opened (no such file, not a shared library).
    #[error("无法加载证书介质的驱动库：{0}")]
    Load(String),
    /// The library lacks functions every SKF library has.
    #[error("not an SKF library: missing {}", .0.join(", "))]
    Missing(Vec<&'static str>),
    /// The library lacks an optional function this call needs.
    #[error("证书介质的驱动库不支持这项操作（缺少 {0}）")]
    NotSupported(&'static str),
    /// The library answered something the standard does not allow (a length
    /// beyond the buffer it was given, a malformed blob): never trusted.
    #[error("证书介质的驱动库返回了无效数据：{0}")]
    Vendor(String),
    /// Refused before the library was called.
    #[error("输入无效：{0}")]
    InvalidInput(String),
}

impl SkfError {
    /// The `SAR_*` code, for logs and for matching.
    pub fn code(&self) -> Option<u32> {
        match self {
            SkfError::Sar { code, .. } => Some(*code),
            // What the vendor answered, even when no try is left.
            SkfError::PinIncorrect { .. } => Some(sar::SAR_PIN_INCORRECT),
            _ => None,
        }
    }

    /// `SAR_OK` is `Ok`; anything else the error of `function`.
    pub(crate) fn check(function: &'static str, code: u32) -> Result<(), SkfError> {
        if code == sar::SAR_OK {
            Ok(())
        } else {
            Err(SkfError::Sar { function, code })
        }
    }

    /// A vendor claiming `claimed` bytes in a buffer of `capacity`.
    pub(crate) fn overrun(function: &'static str, claimed: usize, capacity: usize) -> SkfError {
        SkfError::Vendor(format!(
            "{function} claimed {claimed} bytes in a buffer of {capacity}"
        ))
    }
}

fn sar_text(function: &str, code: u32) -> String {
    match sar::holder_message(code) {
        Some(message) => message.to_owned(),
        None => format!("证书介质返回错误 0x{code:08X}（{function}）"),
    }
}

fn pin_text(remaining: u32) -> String {
    if remaining == 0 {
        // The last try was used: what the holder can do next is the same as
        // for SAR_PIN_LOCKED.
        sar_text("SKF_VerifyPIN", sar::SAR_PIN_LOCKED)
    } else {
        format!("PIN 不正确，还可尝试 {remaining} 次")
    }
}

/// A short form for logs: function and hex code, never a PIN.
pub struct LogCode<'e>(pub &'e SkfError);

impl fmt::Display for LogCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SkfError::Sar { function, code } => write!(f, "{function} 0x{code:08X}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_read_the_common_codes_and_others_get_the_number() {
        let error = |code| SkfError::Sar {
            function: "SKF_ReadFile",
            code,
        };
        assert_eq!(error(sar::SAR_DEVICE_REMOVED).to_string(), "证书介质已拔出");
        assert!(error(sar::SAR_PIN_LOCKED).to_string().contains("找回密码"));
        assert_eq!(
            error(0x0A00_0007).to_string(),
            "证书介质返回错误 0x0A000007（SKF_ReadFile）"
        );
        assert_eq!(
            LogCode(&error(sar::SAR_DEVICE_REMOVED)).to_string(),
            "SKF_ReadFile 0x0A000023"
        );
        assert!(
            SkfError::PinIncorrect { remaining: 0 }
                .to_string()
                .contains("找回密码")
        );
        assert_eq!(
            SkfError::PinIncorrect { remaining: 2 }.to_string(),
            "PIN 不正确，还可尝试 2 次"
        );
    }
}
