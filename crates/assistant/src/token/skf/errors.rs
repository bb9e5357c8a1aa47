//! The library's answers as the holder's errors. The message is the skf
//! crate's (in words the holder can act on); the function and the `SAR_*`
//! code go to the log, never a PIN.

use skf::SkfError;
use skf::sar;

use crate::error::Error;

pub(super) fn skf_error(e: SkfError) -> Error {
    if e.code().is_some() {
        eprintln!("certhall-assistant: SKF {}", skf::LogCode(&e));
    }
    match e {
        SkfError::PinIncorrect { remaining: 0 } => Error::PinLocked,
        SkfError::PinIncorrect { remaining } => Error::WrongPinLeft(remaining),
        SkfError::Sar { code, .. } if code == sar::SAR_PIN_LOCKED => Error::PinLocked,
        SkfError::Sar { code, .. } if code == sar::SAR_DEVICE_REMOVED => Error::TokenRemoved,
        SkfError::Missing(names) => Error::Usage(format!(
            "所选文件不是 SKF 驱动库：缺少 {}",
            names.join("、")
        )),
        other => Error::Token(other.to_string()),
    }
}
