//! The real SMTP server the mail tests deliver to: `.ci/run` starts aiosmtpd with a Maildir
//! and names both in `TEST_SMTP_URL` and `TEST_SMTP_MAILDIR`. Without them the tests that
//! need it are skipped, except under `CI=true`, where that is a failure.

use crate::common::TestApp;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use telework_registry::config::mail::{MailConfig, MailTransport};
use telework_registry::config::Secret;
use telework_registry::db::outbox::{self, OutboxRow};
use telework_registry::mail::transport::Transport;
use telework_registry::mail::worker::{Pacing, Worker};

/// The server and the Maildir it writes every message it accepts to.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub url: String,
    pub maildir: PathBuf,
}

impl Smtp {
    /// The server's address (for a proxy in front of it).
    pub fn addr(&self) -> SocketAddr {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        let hostport = rest.split(['/', '?']).next().unwrap_or(rest);
        hostport
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .unwrap_or_else(|| panic!("TEST_SMTP_URL names no host:port: {}", self.url))
    }
}

/// The test SMTP server, or `None` (with a note) when it is not configured outside CI.
pub fn smtp(test: &str) -> Option<Smtp> {
    let url = std::env::var("TEST_SMTP_URL").ok().filter(|v| !v.is_empty());
    let dir = std::env::var("TEST_SMTP_MAILDIR").ok().filter(|v| !v.is_empty());
    match (url, dir) {
        (Some(url), Some(dir)) => Some(Smtp {
            url,
            maildir: PathBuf::from(dir),
        }),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: TEST_SMTP_URL and TEST_SMTP_MAILDIR must name the test SMTP server under CI=true")
        }
        _ => {
            eprintln!("{test}: skipped (set TEST_SMTP_URL and TEST_SMTP_MAILDIR; .ci/run starts aiosmtpd)");
            None
        }
    }
}

/// An address no other test uses, so tests sharing the server tell their mail apart.
pub fn unique_address(tag: &str) -> String {
    format!("{tag}-{}@example.jp", uuid::Uuid::new_v4().simple())
}

/// One message the server accepted, decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub raw: String,
}

impl Received {
    /// The token in the mail's link (`…#token=T`).
    pub fn token(&self) -> String {
        let start = self.body.find("#token=").expect("the mail holds no link with a token") + 7;
        self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// Every message in `maildir` whose `To` is `to`.
pub fn received(maildir: &Path, to: &str) -> Vec<Received> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(mail) = mailparse::parse_mail(&bytes) else {
                continue;
            };
            let header = |name: &str| {
                mail.headers
                    .iter()
                    .find(|h| h.get_key_ref().eq_ignore_ascii_case(name))
                    .map(|h| h.get_value())
            };
            let recipient = header("To").unwrap_or_default();
            if !recipient.contains(to) {
                continue;
            }
            out.push(Received {
                message_id: header("Message-ID").unwrap_or_default(),
                subject: header("Subject").unwrap_or_default(),
                body: mail.get_body().unwrap_or_default(),
                raw: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
    }
    out
}

/// Waits up to `limit` until at least `n` messages to `to` arrived; returns them all.
pub fn wait_for(maildir: &Path, to: &str, n: usize, limit: Duration) -> Vec<Received> {
    let deadline = Instant::now() + limit;
    loop {
        let got = received(maildir, to);
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Delivers a test app's outbox to the SMTP server: the real worker, run on demand.
pub struct Mailroom {
    pub smtp: Smtp,
    worker: std::sync::Arc<Worker>,
}

impl Mailroom {
    /// A worker for `app` that sends to `url` (the test server, or a proxy in front of it).
    pub fn new(app: &TestApp, smtp: &Smtp, url: &str) -> Self {
        Self::with(app, smtp, url, &app.config.mail)
    }

    /// [`Mailroom::new`] with other pacing (attempts, backoff).
    pub fn with(app: &TestApp, smtp: &Smtp, url: &str, config: &MailConfig) -> Self {
        let mut config = config.clone();
        config.transport = MailTransport::Smtp(Secret::new(url));
        config.from = "テレワーク月間事務局 <noreply@example.jp>".into();
        let transport = Transport::from_config(&config).expect("SMTP transport");
        let pacing = Pacing {
            max_attempts: config.max_attempts,
            backoff_base: config.backoff_base,
            lease: config.lease,
        };
        Self {
            smtp: smtp.clone(),
            worker: std::sync::Arc::new(
                Worker::new(app.pool.clone(), transport, pacing, app.config.webhooks).expect("worker"),
            ),
        }
    }

    /// One round of the worker: claims the rows due now and tries each once.
    pub async fn round(&self) -> usize {
        let worker = self.worker.clone();
        actix_web::web::block(move || worker.deliver_due(telework_registry::db::now()))
            .await
            .expect("blocking task")
            .expect("delivery round")
    }

    /// Rounds until nothing is due; returns how many rows were claimed.
    pub async fn flush(&self) -> usize {
        let mut total = 0;
        loop {
            let n = self.round().await;
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Delivers what is due and returns the messages to `to` (waiting up to 5 s for `n`).
    pub async fn deliver(&self, to: &str, n: usize) -> Vec<Received> {
        self.flush().await;
        wait_for(&self.smtp.maildir, to, n, Duration::from_secs(5))
    }
}

/// The outbox rows to `to`, oldest first.
pub fn outbox_to(app: &TestApp, to: &str) -> Vec<OutboxRow> {
    let mut conn = app.pool.get().expect("connection");
    let mut rows: Vec<OutboxRow> = outbox::list(&mut conn, None, None, 100)
        .expect("outbox")
        .into_iter()
        .filter(|r| r.recipient == to)
        .collect();
    rows.reverse();
    rows
}

/// Waits (yielding to the app's background tasks) until `n` outbox rows to `to` exist.
pub async fn outbox_wait(app: &TestApp, to: &str, n: usize) -> Vec<OutboxRow> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rows = outbox_to(app, to);
        if rows.len() >= n || Instant::now() > deadline {
            return rows;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}
