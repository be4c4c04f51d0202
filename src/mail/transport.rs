//! Where the worker hands a mail: an SMTP server (lettre), or `.eml` files in a folder.

use crate::config::mail::{MailConfig, MailTransport};
use crate::db::outbox::Claimed;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Message, SmtpTransport, Transport as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// A failed hand-over; `permanent` when trying again cannot help (the server refused the
/// message or its recipient for good, or the address is malformed).
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

/// The configured transport and sender.
pub struct Transport {
    from: Mailbox,
    kind: Kind,
}

enum Kind {
    Files(PathBuf),
    Smtp(SmtpTransport),
}

impl Transport {
    pub fn from_config(config: &MailConfig) -> Result<Self, String> {
        let from = Mailbox::from_str(&config.from).map_err(|e| format!("MAIL_FROM: {e}"))?;
        let kind = match &config.transport {
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create the mail folder {} (MAIL_DIR): {e}", dir.display()))?;
                Kind::Files(dir.clone())
            }
            MailTransport::Smtp(url) => Kind::Smtp(
                SmtpTransport::from_url(url.expose())
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
        };
        Ok(Self { from, kind })
    }

    /// Whether mail goes through SMTP (rather than to files).
    pub fn is_smtp(&self) -> bool {
        matches!(self.kind, Kind::Smtp(_))
    }

    /// One line for the start-up log: where mail goes, without credentials.
    pub fn describe(config: &MailConfig) -> String {
        match &config.transport {
            MailTransport::Files(dir) => format!(
                "mail: SMTP_URL is not set; each mail is written as an .eml file under {} (set SMTP_URL to send it)",
                dir.display()
            ),
            MailTransport::Smtp(url) => {
                let host = url::Url::parse(url.expose())
                    .ok()
                    .map(|u| {
                        format!(
                            "{}://{}:{}",
                            u.scheme(),
                            u.host_str().unwrap_or(""),
                            u.port().unwrap_or(0)
                        )
                    })
                    .unwrap_or_default();
                format!("mail: sending through {host} as {}", config.from)
            }
        }
    }

    /// Hands one claimed row over. Delivering the same message id twice writes the same file
    /// again (or gives the SMTP server a duplicate it can recognise by its Message-ID).
    pub fn send(&self, row: &Claimed) -> Result<(), SendError> {
        let message = self.message(row)?;
        match &self.kind {
            Kind::Files(dir) => write_eml(dir, &row.message_id, &message.formatted()),
            Kind::Smtp(smtp) => smtp.send(&message).map(|_| ()).map_err(|e| {
                let text = e.to_string();
                if e.is_permanent() {
                    SendError::permanent(text)
                } else {
                    SendError::transient(text)
                }
            }),
        }
    }

    /// The RFC 5322 message of a row: UTF-8 plain text, the subject RFC 2047-encoded.
    pub fn message(&self, row: &Claimed) -> Result<Message, SendError> {
        let to = Mailbox::from_str(&row.recipient)
            .map_err(|e| SendError::permanent(format!("the recipient address is not valid: {e}")))?;
        let body = row
            .body
            .clone()
            .ok_or_else(|| SendError::permanent("the body was erased"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()))
            .date_now()
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| SendError::permanent(format!("cannot build the message: {e}")))
    }
}

/// The file of a message id in `dir`: `<dir>/<message id>.eml`, of the id's safe characters.
pub fn eml_path(dir: &Path, message_id: &str) -> PathBuf {
    dir.join(format!("{}.eml", file_name(message_id)))
}

fn file_name(message_id: &str) -> String {
    message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '@' | '_'))
        .collect()
}

/// Writes `bytes` as `<dir>/<message id>.eml`, through a temporary file and a rename, so a
/// reader never sees half a mail.
fn write_eml(dir: &Path, message_id: &str, bytes: &[u8]) -> Result<(), SendError> {
    let path = eml_path(dir, message_id);
    let tmp = dir.join(format!(".{}.tmp", file_name(message_id)));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| SendError::transient(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mail::DEFAULT_MAIL_FROM;

    fn row(recipient: &str) -> Claimed {
        Claimed {
            id: "1".into(),
            message_id: "<0192f1a0-0000-7000-8000-000000000000@localhost>".into(),
            kind: "password_reset".into(),
            recipient: recipient.into(),
            subject: "パスワードの再設定 / Reset your password".into(),
            body: Some("山田 様\n\n本文\n".into()),
            secret: true,
            attempts: 1,
            channel: "mail".into(),
            webhook_id: None,
        }
    }

    #[test]
    fn files_get_one_eml_per_message_id_with_an_encoded_subject() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::from_lookup(|_| None).unwrap().mail;
        config.transport = MailTransport::Files(dir.path().to_owned());
        assert_eq!(config.from, DEFAULT_MAIL_FROM);
        let t = Transport::from_config(&config).unwrap();
        t.send(&row("yamada@example.jp")).unwrap();
        t.send(&row("yamada@example.jp")).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "one file per message id");
        let path = dir.path().join("0192f1a0-0000-7000-8000-000000000000@localhost.eml");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.contains("Message-ID: <0192f1a0-0000-7000-8000-000000000000@localhost>"),
            "{text}"
        );
        assert!(
            text.contains("Subject: =?utf-8?"),
            "the subject is not RFC 2047-encoded: {text}"
        );
        assert!(text.contains("To: yamada@example.jp"), "{text}");
        assert!(text.is_ascii(), "a header or body is not 7-bit: {text}");
    }

    #[test]
    fn a_bad_recipient_is_permanent() {
        let config = crate::config::Config::from_lookup(|_| None).unwrap().mail;
        let t = Transport {
            from: Mailbox::from_str(&config.from).unwrap(),
            kind: Kind::Files(PathBuf::from("/nonexistent")),
        };
        let e = t.send(&row("not an address")).unwrap_err();
        assert!(e.permanent, "{e:?}");
    }
}
