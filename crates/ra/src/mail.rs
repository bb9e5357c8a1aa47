//! Sending mail: over SMTP when configured, otherwise as `.eml` files in
//! `<data-dir>/outbox/mail/` (development and tests read them there).
//!
//! Every message carries the Message-ID its sender chose, derived from what
//! it is about (an invoice's id), so a message sent again after a crash
//! between sending and recording is the same message: mail systems drop the
//! duplicate, and the file outbox, which names each file by its Message-ID,
//! rewrites the file instead of adding a second one.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Msg, RaError};

/// Why a mail did not go out.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient cannot be written as an address: retrying cannot help.
    #[error("the address cannot be used: {0}")]
    Address(String),
    /// The message could not be built or the transport failed: worth retrying.
    #[error("mail not sent: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    Outbox {
        dir: std::path::PathBuf,
        from: String,
    },
}

/// How long one SMTP exchange may take; a sender's claim on a mail outlasts it.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A file to attach.
pub struct Attached {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

fn failed(e: impl std::fmt::Display) -> RaError {
    tracing::error!(error = %e, "mail failed");
    RaError::Invalid(Msg::new("邮件发送失败"))
}

impl Mailer {
    /// `smtp://host:port` (plain, e.g. a relay on localhost) or `smtps://user:pass@host` (TLS).
    pub fn smtp(url: &str, from: &str) -> Result<Self, RaError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(failed)?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer::Smtp {
            transport,
            from: from.into(),
        })
    }

    pub fn outbox(dir: &std::path::Path, from: &str) -> Self {
        let _ = std::fs::create_dir_all(dir);
        Mailer::Outbox {
            dir: dir.to_path_buf(),
            from: from.into(),
        }
    }

    /// A Message-ID for `local` (e.g. `invoice.<id>`) from this sender: the
    /// same every time it is asked for.
    pub fn message_id(&self, local: &str) -> String {
        let domain = self
            .from()
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>'))
            .filter(|d| !d.is_empty())
            .unwrap_or("certhall.invalid");
        format!("<{local}@{domain}>")
    }

    fn from(&self) -> &str {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from,
        }
    }

    /// Sends one message with the given Message-ID (see `message_id`).
    pub async fn send(
        &self,
        message_id: &str,
        to: &str,
        subject: &str,
        text: &str,
        attachment: Option<Attached>,
    ) -> Result<(), MailError> {
        let transient = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "mail failed");
            MailError::Failed(e.to_string())
        };
        // A bare address, never a display-name form: what the form saved is
        // exactly what is sent to.
        let to: Address = to.parse().map_err(|e| MailError::Address(format!("{e}")))?;
        let from: Mailbox = self.from().parse().map_err(|e| transient(&e))?;
        let body = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string());
        let builder = Message::builder()
            .message_id(Some(message_id.to_string()))
            .from(from)
            .to(Mailbox::new(None, to))
            .subject(subject);
        let message = match attachment {
            Some(a) => builder
                .multipart(MultiPart::mixed().singlepart(body).singlepart(
                    Attachment::new(a.name).body(
                        a.bytes,
                        ContentType::parse(a.content_type).map_err(|e| transient(&e))?,
                    ),
                ))
                .map_err(|e| transient(&e))?,
            None => builder.singlepart(body).map_err(|e| transient(&e))?,
        };
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await.map_err(|e| transient(&e))?;
            }
            Mailer::Outbox { dir, .. } => {
                // Named by the Message-ID, written whole or not at all.
                let name: String = message_id
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                let tmp = dir.join(format!(".{name}.eml.tmp"));
                let bytes = message.formatted();
                tokio::fs::write(&tmp, bytes)
                    .await
                    .map_err(|e| transient(&e))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| transient(&e))?;
            }
        }
        Ok(())
    }
}
