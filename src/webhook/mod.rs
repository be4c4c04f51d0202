//! Webhook delivery: one signed POST per event, by the Standard Webhooks scheme. The host is
//! resolved by a guard that refuses private addresses (unless `WEBHOOK_ALLOW_PRIVATE`), and
//! the connection goes to exactly the addresses it let through; redirects are not followed.

pub mod record;

use crate::config::webhooks::WebhookConfig;
use crate::db::outbox::Claimed;
use crate::db::webhooks::WebhookRow;
use crate::domain::webhook::{is_forbidden, sign};
use chrono::NaiveDateTime;
use std::io::{self, Read as _};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How long one delivery may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take, within [`TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a receiver's answer is read and kept as the attempt's error.
const ERROR_BODY: usize = 200;

/// What one attempt gave: the answer's status (if one came), how long it took, and why it
/// failed (`None`: delivered). Every failure is worth another try.
pub struct Attempt {
    pub status_code: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
}

/// Resolves a host the way a delivery may reach it: every address it names must be public
/// (when the guard is on); otherwise the lookup fails and nothing is connected to.
pub fn resolve_guarded(netloc: &str, allow_private: bool) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "the host has no address"));
    }
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refused: the host resolves to {}, a private or reserved address",
                    bad.ip()
                ),
            ));
        }
    }
    Ok(addrs)
}

/// The HTTP client of a process's delivery worker.
pub struct Sender {
    allow_private: bool,
    /// Made at the first delivery: loading the system's CA certificates takes ~0.1 s, which a
    /// process without webhooks should not spend at start.
    agent: OnceLock<Result<ureq::Agent, String>>,
}

impl Sender {
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        Ok(Self {
            allow_private: config.allow_private,
            agent: OnceLock::new(),
        })
    }

    fn agent(&self) -> Result<&ureq::Agent, String> {
        let allow_private = self.allow_private;
        self.agent
            .get_or_init(|| {
                let tls = native_tls::TlsConnector::new().map_err(|e| format!("webhooks: TLS: {e}"))?;
                Ok(ureq::AgentBuilder::new()
                    .timeout(TIMEOUT)
                    .timeout_connect(CONNECT_TIMEOUT)
                    .redirects(0)
                    .user_agent("telework-registry-webhooks")
                    .tls_connector(Arc::new(tls))
                    .resolver(move |netloc: &str| resolve_guarded(netloc, allow_private))
                    .build())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// POSTs an event row's body to `hook`, signed with every secret valid at `at`.
    pub fn send(&self, row: &Claimed, hook: &WebhookRow, at: NaiveDateTime) -> Attempt {
        let started = Instant::now();
        let body = row.body.as_deref().unwrap_or_default();
        let timestamp = at.and_utc().timestamp();
        let signatures: Vec<String> = hook
            .signing_secrets(at)
            .into_iter()
            .filter_map(|s| sign(s, &row.message_id, timestamp, body))
            .collect();
        if signatures.is_empty() {
            return Attempt {
                status_code: None,
                latency: started.elapsed(),
                error: Some("the webhook's secret cannot sign".into()),
            };
        }
        let agent = match self.agent() {
            Ok(a) => a,
            Err(e) => {
                return Attempt {
                    status_code: None,
                    latency: started.elapsed(),
                    error: Some(e),
                }
            }
        };
        let answer = agent
            .post(&hook.url)
            .set("content-type", "application/json")
            .set("webhook-id", &row.message_id)
            .set("webhook-timestamp", &timestamp.to_string())
            .set("webhook-signature", &signatures.join(" "))
            .send_string(body);
        let latency = started.elapsed();
        let (status_code, error) = match answer {
            Ok(r) if (200..300).contains(&r.status()) => (Some(r.status()), None),
            Ok(r) => (Some(r.status()), Some(format!("HTTP {}", r.status()))),
            Err(ureq::Error::Status(code, r)) => {
                let mut raw = Vec::with_capacity(ERROR_BODY);
                let _ = io::Read::read_to_end(&mut r.into_reader().take(ERROR_BODY as u64), &mut raw);
                // Kept and logged: no control characters that could forge a log line.
                let text: String = String::from_utf8_lossy(&raw)
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                let text = text.trim();
                let message = if text.is_empty() {
                    format!("HTTP {code}")
                } else {
                    format!("HTTP {code}: {text}")
                };
                (Some(code), Some(message))
            }
            Err(ureq::Error::Transport(t)) => (None, Some(transport_error(&t))),
        };
        Attempt {
            status_code,
            latency,
            error,
        }
    }
}

/// A transport failure in words, without the URL (it may carry a receiver's token).
fn transport_error(t: &ureq::Transport) -> String {
    let mut s = format!("{:?}", t.kind());
    if let Some(m) = t.message() {
        s.push_str(": ");
        s.push_str(m);
    }
    if let Some(src) = std::error::Error::source(t) {
        s.push_str(": ");
        s.push_str(&src.to_string());
    }
    s
}
