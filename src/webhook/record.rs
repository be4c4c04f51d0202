//! What the worker writes after an attempt to deliver an event: the attempt itself, and the
//! webhook's run of failures, which disables it after [`DISABLE_AFTER_DAYS`] days.

use crate::db::audit::AuditEvent;
use crate::db::webhooks::{self, AttemptRow};
use crate::db::{new_id, DbConn, Result};
use crate::domain::codes::AuditAction;
use chrono::NaiveDateTime;
use std::time::Duration;

/// A webhook that has failed without a break for this long is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;

/// One attempt as the sender saw it.
pub struct Tried {
    pub webhook_id: String,
    pub status_code: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
}

/// Records the attempt on the event `outbox_id` in the worker's transaction.
pub fn attempt(conn: &mut DbConn, outbox_id: &str, t: Tried, at: NaiveDateTime) -> Result<()> {
    // Deleted while this attempt ran: nothing to record it under (and no row to point at).
    if !webhooks::exists(conn, &t.webhook_id)? {
        return Ok(());
    }
    let ok = t.error.is_none();
    webhooks::insert_attempt(
        conn,
        &AttemptRow {
            id: new_id(),
            webhook_id: t.webhook_id.clone(),
            outbox_id: outbox_id.to_owned(),
            attempted_at: at,
            status_code: t.status_code.map(i32::from),
            latency_ms: t.latency.as_millis().min(i64::MAX as u128) as i64,
            error: t.error.map(|e| e.chars().take(500).collect()),
        },
    )?;
    let Some(since) = webhooks::note_outcome(conn, &t.webhook_id, ok, at)? else {
        return Ok(());
    };
    if at - since >= chrono::Duration::days(DISABLE_AFTER_DAYS) {
        let reason = format!("every delivery failed since {since} (UTC)");
        if webhooks::disable_failing(conn, &t.webhook_id, &reason, at)? {
            log::warn!("webhook: {} disabled: {reason}", t.webhook_id);
            let detail = format!("webhook {}: {reason}", t.webhook_id);
            AuditEvent::system(AuditAction::WebhookDisable, detail).insert(conn)?;
        }
    }
    Ok(())
}
