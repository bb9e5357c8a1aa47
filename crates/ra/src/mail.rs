//! Sending mail: over SMTP when configured, otherwise as `.eml` files in
//! `<data-dir>/outbox/mail/` (development and tests read them there).

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Msg, RaError};

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    Outbox {
        transport: AsyncFileTransport<Tokio1Executor>,
        from: String,
    },
}

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
            .build();
        Ok(Mailer::Smtp {
            transport,
            from: from.into(),
        })
    }

    pub fn outbox(dir: &std::path::Path, from: &str) -> Self {
        let _ = std::fs::create_dir_all(dir);
        Mailer::Outbox {
            transport: AsyncFileTransport::new(dir),
            from: from.into(),
        }
    }

    fn from(&self) -> &str {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from,
        }
    }

    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        attachment: Option<Attached>,
    ) -> Result<(), RaError> {
        let body = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string());
        let builder = Message::builder()
            .from(self.from().parse().map_err(failed)?)
            .to(to.parse().map_err(failed)?)
            .subject(subject);
        let message = match attachment {
            Some(a) => builder
                .multipart(
                    MultiPart::mixed().singlepart(body).singlepart(
                        Attachment::new(a.name)
                            .body(a.bytes, ContentType::parse(a.content_type).map_err(failed)?),
                    ),
                )
                .map_err(failed)?,
            None => builder.singlepart(body).map_err(failed)?,
        };
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await.map_err(failed)?;
            }
            Mailer::Outbox { transport, .. } => {
                transport.send(message).await.map_err(failed)?;
            }
        }
        Ok(())
    }
}
