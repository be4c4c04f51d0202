//! The delivery worker: a thread in every server process that claims due outbox rows with a
//! lease, hands them to the transport and records the outcome. A failed attempt is tried
//! again after an exponential backoff with jitter; after `OUTBOX_MAX_ATTEMPTS` (or a
//! permanent refusal) the row is `dead`. A process killed mid-send leaves its rows leased;
//! they fall due again when the lease ends, so delivery is at-least-once under one message id.

use super::digest;
use super::transport::{SendError, Transport};
use super::Mailer;
use crate::config::webhooks::WebhookConfig;
use crate::config::Config;
use crate::db::outbox::{self, Claimed, Failure};
use crate::db::webhooks::{self, WebhookRow};
use crate::db::{self, now, Pool};
use crate::domain::codes::OutboxChannel;
use crate::webhook::{self as hooks, Attempt};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::time::Duration;

/// Rows claimed per round.
const BATCH: i64 = 50;
/// SMTP connections one worker uses at once.
const CONCURRENT_SENDS: usize = 10;
/// The longest wait between two attempts of one row.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// How the outbox is paced (from the configuration; tests make it fast).
#[derive(Debug, Clone)]
pub struct Pacing {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub lease: Duration,
}

/// One process's worker for one channel of the outbox (mail, or webhook events, each on a
/// thread of its own so that a slow receiver never holds up mail): its transport, webhook
/// client, pacing and lease owner name.
pub struct Worker {
    pool: Pool,
    transport: Transport,
    hooks: hooks::Sender,
    pacing: Pacing,
    owner: String,
    channel: OutboxChannel,
}

impl Worker {
    pub fn new(pool: Pool, transport: Transport, pacing: Pacing, webhooks: WebhookConfig) -> Result<Self, String> {
        let mut tag = [0u8; 4];
        let _ = getrandom::fill(&mut tag);
        let owner = format!(
            "{}-{}",
            std::process::id(),
            tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        Ok(Self {
            pool,
            transport,
            hooks: hooks::Sender::new(webhooks)?,
            pacing,
            owner,
            channel: OutboxChannel::Mail,
        })
    }

    /// This worker delivers webhook events instead of mail.
    pub fn for_webhooks(mut self) -> Self {
        self.channel = OutboxChannel::Webhook;
        self.owner.push_str("-hooks");
        self
    }

    /// Claims one batch of rows due at `at`, delivers them and records each outcome; returns
    /// how many were claimed.
    pub fn deliver_due(&self, at: NaiveDateTime) -> db::Result<usize> {
        let mut conn = self.pool.get()?;
        if !outbox::any_due(&mut conn, at, self.channel)? {
            return Ok(0);
        }
        let lease_until = at + chrono::Duration::from_std(self.pacing.lease).unwrap_or(chrono::Duration::minutes(2));
        let owner = self.owner.clone();
        let channel = self.channel;
        // Bare (see `db::transaction_bare`): claiming and recording fail only with the database.
        let rows = db::transaction_bare(&mut conn, move |c| {
            outbox::claim(c, &owner, at, lease_until, BATCH, channel)
        })?;
        let claimed = rows.len();
        let ids: Vec<&str> = rows.iter().filter_map(|r| r.webhook_id.as_deref()).collect();
        let hooks: HashMap<String, WebhookRow> = if ids.is_empty() {
            HashMap::new()
        } else {
            webhooks::find_many(&mut conn, &ids)?
                .into_iter()
                .map(|h| (h.id.clone(), h))
                .collect()
        };
        let outcomes = self.send_all(&rows, &hooks);
        // The batch's outcomes are recorded in one transaction (on SQLite one turn of the
        // write thread, not one per mail).
        let at = now();
        let records: Vec<Record> = rows
            .iter()
            .zip(outcomes)
            .map(|(row, outcome)| self.judge(row, outcome, at))
            .collect();
        let owner = self.owner.clone();
        db::transaction_bare(&mut conn, move |c| {
            for r in records {
                let recorded = match r.failure {
                    None => outbox::mark_sent(c, &r.id, &owner, r.attempt.is_some(), at)?,
                    Some((failure, error)) => outbox::mark_failed(c, &r.id, &owner, &error, failure, at)?,
                };
                if let (true, Some(attempt)) = (recorded, r.attempt) {
                    hooks::record::attempt(c, &r.id, attempt, at)?;
                }
            }
            Ok::<_, db::Error>(())
        })?;
        Ok(claimed)
    }

    /// Hands the rows to the transport. Files are written one after another; SMTP messages go
    /// out up to [`CONCURRENT_SENDS`] at once, each on a pooled connection of its own, since
    /// an SMTP exchange is mostly waiting (lettre writes a message's closing dot apart from its
    /// body, so every message waits out the server's delayed ACK, ~40 ms on Linux).
    /// Webhook events go out concurrently like SMTP mail.
    fn send_all(&self, rows: &[Claimed], hooks: &HashMap<String, WebhookRow>) -> Vec<Outcome> {
        let one = |row: &Claimed| self.send_one(row, hooks);
        if !self.transport.is_smtp() && !rows.iter().any(Claimed::is_webhook) {
            return rows.iter().map(one).collect();
        }
        let mut outcomes = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CONCURRENT_SENDS) {
            std::thread::scope(|s| {
                let sends: Vec<_> = chunk.iter().map(|row| s.spawn(move || one(row))).collect();
                for h in sends {
                    outcomes.push(h.join().unwrap_or_else(|_| Outcome {
                        result: Err(SendError::transient("the sending thread panicked")),
                        attempt: None,
                    }));
                }
            });
        }
        outcomes
    }

    fn send_one(&self, row: &Claimed, hooks: &HashMap<String, WebhookRow>) -> Outcome {
        if !row.is_webhook() {
            return Outcome {
                result: self.transport.send(row),
                attempt: None,
            };
        }
        match row.webhook_id.as_ref().and_then(|id| hooks.get(id)) {
            Some(hook) if hook.enabled => {
                let Attempt {
                    status_code,
                    latency,
                    error,
                } = self.hooks.send(row, hook, now());
                Outcome {
                    result: error.clone().map_or(Ok(()), |e| Err(SendError::transient(e))),
                    attempt: Some(hooks::record::Tried {
                        webhook_id: hook.id.clone(),
                        status_code,
                        latency,
                        error,
                    }),
                }
            }
            Some(_) => Outcome {
                result: Err(SendError::permanent("the webhook is disabled")),
                attempt: None,
            },
            None => Outcome {
                result: Err(SendError::permanent("the webhook was deleted")),
                attempt: None,
            },
        }
    }

    /// What to record for a row's outcome, logged here (by message id and kind only).
    fn judge(&self, row: &Claimed, outcome: Outcome, at: NaiveDateTime) -> Record {
        let what = if row.is_webhook() { "webhook" } else { "mail" };
        let failure = match outcome.result {
            Ok(()) => {
                log::info!("{what}: delivered {} ({})", row.message_id, row.kind);
                None
            }
            Err(e) => {
                // A mail server's refusal often quotes the address (`550 5.1.1 <taro@…>:
                // Recipient address rejected`): neither the log nor the row keeps it. (A
                // webhook's recipient is its URL, staff's own setting.)
                let message = if row.is_webhook() {
                    e.message
                } else {
                    redacted(&e.message, &row.recipient)
                };
                let attempts = row.attempts.max(1) as u32;
                let failure = if e.permanent || attempts >= self.pacing.max_attempts {
                    log::error!(
                        "{what}: {} ({}) is dead after {attempts} attempt(s): {}",
                        row.message_id,
                        row.kind,
                        message
                    );
                    Failure::Dead { erase: row.secret }
                } else {
                    let wait = backoff(self.pacing.backoff_base, attempts, jitter());
                    let next = at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6));
                    log::warn!(
                        "{what}: attempt {attempts} of {} ({}) failed, next at {next}: {}",
                        row.message_id,
                        row.kind,
                        message
                    );
                    Failure::RetryAt(next)
                };
                Some((failure, message))
            }
        };
        Record {
            id: row.id.clone(),
            failure,
            attempt: outcome.attempt,
        }
    }
}

/// What sending one row gave, and for an event the attempt to record.
struct Outcome {
    result: Result<(), SendError>,
    attempt: Option<hooks::record::Tried>,
}

/// The outcome of one row: `None` delivered, or how it failed and why.
struct Record {
    id: String,
    failure: Option<(Failure, String)>,
    attempt: Option<hooks::record::Tried>,
}

/// The wait before the next try after `attempts` failed ones: `base · 2^(attempts-1)`, capped
/// at six hours, then scaled by `jitter` in [0.5, 1] so that rows failing together spread out.
pub fn backoff(base: Duration, attempts: u32, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    doubled.min(MAX_BACKOFF).mul_f64(jitter.clamp(0.5, 1.0))
}

fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    0.5 + f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX) / 2.0
}

/// Starts the worker threads of a server process: mail and webhook events, each delivering
/// due rows every `OUTBOX_POLL_MS` (at once again while a batch comes back full); the mail
/// thread also runs the moderator digest when it is due.
pub fn spawn(pool: Pool, config: &Config) -> Result<(), String> {
    let transport = Transport::from_config(&config.mail)?;
    log::info!("{}", Transport::describe(&config.mail));
    let pacing = Pacing {
        max_attempts: config.mail.max_attempts,
        backoff_base: config.mail.backoff_base,
        lease: config.mail.lease,
    };
    let digest = digest::Settings::from(&config.mail);
    let mailer = Mailer::new(config);
    let poll = config.mail.poll;
    let worker = Worker::new(pool.clone(), transport, pacing.clone(), config.webhooks)?;
    let hooks = Worker::new(
        pool.clone(),
        Transport::from_config(&config.mail)?,
        pacing,
        config.webhooks,
    )?
    .for_webhooks();
    std::thread::Builder::new()
        .name("webhook-worker".into())
        .spawn(move || loop {
            match hooks.deliver_due(now()) {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => log::warn!("webhook: the outbox could not be read: {e}"),
            }
            std::thread::sleep(poll);
        })
        .map_err(|e| format!("cannot start the webhook worker: {e}"))?;
    std::thread::Builder::new()
        .name("mail-worker".into())
        .spawn(move || loop {
            match worker.deliver_due(now()) {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => log::warn!("mail: the outbox could not be read: {e}"),
            }
            if let Err(e) = pool
                .get()
                .map_err(db::Error::from)
                .and_then(|mut conn| digest::tick(&mut conn, &mailer, &digest, now()))
            {
                log::warn!("mail: the moderator digest failed: {e}");
            }
            std::thread::sleep(poll);
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the mail worker: {e}"))
}

/// `message` with every `recipient` in it (ignoring ASCII case) written as `<recipient>`.
fn redacted(message: &str, recipient: &str) -> String {
    if recipient.is_empty() {
        return message.to_owned();
    }
    // ASCII lower-casing keeps every byte where it is, so the positions hold in `message`.
    let (lower, needle) = (message.to_ascii_lowercase(), recipient.to_ascii_lowercase());
    let (mut out, mut at) = (String::with_capacity(message.len()), 0);
    while let Some(i) = lower[at..].find(&needle) {
        out.push_str(&message[at..at + i]);
        out.push_str("<recipient>");
        at += i + needle.len();
    }
    out.push_str(&message[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_never_name_the_recipient() {
        let refusal =
            "permanent error (550): 5.1.1 <Taro@Example.JP>: Recipient address rejected: 山田 taro@example.jp";
        assert_eq!(
            redacted(refusal, "taro@example.jp"),
            "permanent error (550): 5.1.1 <<recipient>>: Recipient address rejected: 山田 <recipient>"
        );
        assert_eq!(redacted("timed out", "taro@example.jp"), "timed out");
        assert_eq!(redacted("x", ""), "x");
    }

    #[test]
    fn backoff_doubles_up_to_a_cap_and_jitters_down_to_half() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(base, 4, 1.0), Duration::from_secs(240));
        assert_eq!(backoff(base, 4, 0.5), Duration::from_secs(120));
        assert_eq!(backoff(base, 30, 1.0), MAX_BACKOFF);
        for _ in 0..100 {
            let j = jitter();
            assert!((0.5..=1.0).contains(&j), "{j}");
        }
    }
}
