//! Mail that reaches people. Nothing is sent from a request: a change writes its mail to the
//! outbox in its own transaction ([`Mailer::enqueue`]), and a worker in every server process
//! delivers the outbox ([`worker`]) through SMTP or, in development, to `.eml` files
//! ([`transport`]). The mails themselves are templates beside this file ([`compose`]).

pub mod compose;
pub mod compose_events;
pub mod digest;
pub mod templates;
pub mod transport;
pub mod worker;

use crate::config::Config;
use crate::db::outbox::{self, Mail};
use crate::db::{self, DbConn};

/// How long an email verification link works.
pub const VERIFY_TTL_HOURS: i64 = 48;
/// How long a password reset link works.
pub const RESET_TTL_MINUTES: i64 = 30;

/// What a change needs to write its mail: the message-id domain and where links point; and
/// the folder of the files transport, whose files an erasure removes.
#[derive(Debug, Clone)]
pub struct Mailer {
    domain: String,
    public_base_url: String,
    frontend_base_url: String,
    files: Option<std::path::PathBuf>,
}

impl Mailer {
    pub fn new(config: &Config) -> Self {
        Self {
            domain: config.mail.from_domain().to_owned(),
            public_base_url: config.public_base_url.clone(),
            frontend_base_url: config.mail.frontend_base_url.clone(),
            files: match &config.mail.transport {
                crate::config::mail::MailTransport::Files(dir) => Some(dir.clone()),
                crate::config::mail::MailTransport::Smtp(_) => None,
            },
        }
    }

    /// Removes the `.eml` files of `message_ids` (the files transport only): after an
    /// erasure has committed, the copies of its mail on disk go too. A file not there is
    /// fine; one that cannot be removed is logged by its message id.
    pub fn forget_files(&self, message_ids: &[String]) {
        let Some(dir) = &self.files else {
            return;
        };
        for id in message_ids {
            match std::fs::remove_file(transport::eml_path(dir, id)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    log::warn!("mail: cannot remove the file of {id} after an erasure: {e}");
                }
                _ => {}
            }
        }
    }

    /// Writes `mail` to the outbox; call it inside the transaction of the change it reports.
    pub fn enqueue(&self, conn: &mut DbConn, mail: Result<Mail, String>) -> db::Result<String> {
        let mail = mail.map_err(db::Error::Other)?;
        outbox::insert(conn, &mail, &self.domain)
    }

    /// The front end's page that confirms an address; the token rides in the fragment, which
    /// browsers never send to a server (and mail scanners' GETs consume nothing).
    pub fn verify_link(&self, token: &str) -> String {
        format!("{}/verify-email#token={token}", self.frontend_base_url)
    }

    /// The front end's page that sets a new password, the token in the fragment.
    pub fn reset_link(&self, token: &str) -> String {
        format!("{}/password-reset#token={token}", self.frontend_base_url)
    }

    /// The front end's page that confirms an application to an event session.
    pub fn application_confirm_link(&self, token: &str) -> String {
        format!("{}/applications/confirm#token={token}", self.frontend_base_url)
    }

    /// The front end's page that shows an application and offers to cancel it (with a POST).
    pub fn application_link(&self, token: &str) -> String {
        format!("{}/applications/manage#token={token}", self.frontend_base_url)
    }

    /// The public API address of an approved activity.
    pub fn public_activity_url(&self, id: &str) -> String {
        format!("{}/api/v1/public/activities/{id}", self.public_base_url)
    }

    /// The front end's moderation queue, for the digest.
    pub fn queue_url(&self) -> String {
        format!("{}/moderation", self.frontend_base_url)
    }
}
