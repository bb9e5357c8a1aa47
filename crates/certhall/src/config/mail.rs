//! `[mail]`: SMTP, or the outbox in the data directory.

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// smtp://host:port (plain relay) or smtps://user:password@host (TLS). Empty:
    /// mail is written to <data_dir>/outbox/mail/.
    pub smtp_url: Option<String>,
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "certhall <noreply@certhall.localhost>".into(),
        }
    }
}

impl MailConfig {
    pub(super) fn resolve(self) -> Result<MailConfig, ConfigError> {
        let mail = self;
        if let Some(u) = mail.smtp_url.as_deref().filter(|u| !u.is_empty())
            && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
        {
            return Err(bad(
                "mail.smtp_url",
                format!("`{u}` must start with smtp:// or smtps://"),
            ));
        }
        if mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "mail.from",
                format!("`{}` is not a mail address", mail.from),
            ));
        }
        Ok(mail)
    }
}
