//! The moderator digest: at most once per `DIGEST_INTERVAL_MINUTES` across all processes, and
//! only when items arrived in the queue since the last run, a mail to every enabled moderator
//! and admin who wants it, with the queue by campaign and the oldest wait, and a reminder
//! when items wait past `MODERATION_SLA_HOURS`.

use super::compose::{self, CampaignCount};
use super::Mailer;
use crate::config::mail::MailConfig;
use crate::db::{self, digest as queue, Conn};
use chrono::NaiveDateTime;
use std::time::Duration;

/// How often, and when an item counts as overdue.
#[derive(Debug, Clone)]
pub struct Settings {
    pub interval: Duration,
    pub sla: Duration,
}

impl From<&MailConfig> for Settings {
    fn from(c: &MailConfig) -> Self {
        Self {
            interval: c.digest_interval,
            sla: c.moderation_sla,
        }
    }
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(365))
}

/// Runs the digest if it is due at `at`; returns how many mails it wrote. The run is claimed
/// and its mails written in one transaction, so of several processes one sends it, and a
/// crash leaves either the run with its mails or neither.
pub fn tick(conn: &mut Conn, mailer: &Mailer, settings: &Settings, at: NaiveDateTime) -> db::Result<usize> {
    let prev = queue::last_run(conn)?;
    if at - prev < chrono(settings.interval) {
        return Ok(0);
    }
    let (mailer, sla) = (mailer.clone(), chrono(settings.sla));
    db::transaction(conn, move |conn| {
        if !queue::claim_run(conn, prev, at)? {
            return Ok(0);
        }
        let new = queue::arrived_since(conn, prev)?;
        if new == 0 {
            return Ok(0);
        }
        let campaigns = queue::queue_by_campaign(conn)?;
        let oldest = campaigns.iter().map(|c| c.3).min().unwrap_or(at);
        let d = compose::Digest {
            new,
            total: campaigns.iter().map(|c| c.2).sum(),
            campaigns: campaigns
                .into_iter()
                .map(|(slug, title, count, _)| CampaignCount { slug, title, count })
                .collect(),
            oldest_hours: (at - oldest).num_hours().max(0),
            overdue: queue::waiting_since_before(conn, at - sla)?,
            sla_hours: sla.num_hours(),
            queue_url: mailer.queue_url(),
        };
        let recipients = queue::recipients(conn)?;
        for (email, name) in &recipients {
            mailer.enqueue(conn, compose::digest(email, name, &d))?;
        }
        Ok(recipients.len())
    })
}
