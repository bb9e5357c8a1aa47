//! The platform's SMS outbox (`<data>/outbox/sms.log`), which stands in for
//! the holder's phone when no SMS provider is configured.

use std::path::Path;

/// The 6-digit code of the newest SMS to `mobile`.
pub fn sms_code(data_dir: &Path, mobile: &str) -> String {
    let log =
        std::fs::read_to_string(data_dir.join("outbox/sms.log")).expect("the SMS outbox exists");
    let line = log
        .lines()
        .rfind(|l| l.split('\t').nth(1) == Some(mobile))
        .unwrap_or_else(|| panic!("no SMS to {mobile} in the outbox:\n{log}"));
    line.split('\t')
        .nth(2)
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("the SMS has a 6-digit code")
        .to_string()
}
