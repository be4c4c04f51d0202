//! Webhook subscriptions, the event rows they get in the outbox, and each delivery attempt.

use super::schema::{outbox, webhook_attempts, webhooks};
use super::{new_id, DbConn, Error, Result};
use crate::domain::codes::{EventType, OutboxChannel, OutboxState};
use crate::domain::page::Cursor;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A subscription as stored (the secrets included: they sign deliveries; so no `Debug`).
#[derive(Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// Event type codes separated by spaces.
    pub event_types: String,
    pub description: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl WebhookRow {
    /// The subscribed types; a stored code this build does not know is an error.
    pub fn events(&self) -> Result<Vec<EventType>> {
        self.event_types
            .split_whitespace()
            .map(|t| EventType::parse(t).ok_or_else(|| Error::Corrupt(format!("webhook event type `{t}`"))))
            .collect()
    }

    /// Stores `types` as the subscription's.
    pub fn set_events(&mut self, types: &[EventType]) {
        self.event_types = types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" ");
    }

    /// The secrets that sign a message sent at `at`: the current one, and the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, at: NaiveDateTime) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous_secret, self.previous_secret_until) {
            if at < until {
                out.push(prev);
            }
        }
        out
    }
}

pub fn insert(conn: &mut DbConn, row: &WebhookRow) -> Result<()> {
    diesel::insert_into(webhooks::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<WebhookRow> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

pub fn exists(conn: &mut DbConn, id: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(webhooks::table.find(id))).get_result(conn)?)
}

pub fn find_many(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<WebhookRow>> {
    Ok(webhooks::table
        .filter(webhooks::id.eq_any(ids))
        .select(WebhookRow::as_select())
        .load(conn)?)
}

/// Writes `row` whole if it is still at `version` (its version goes up by one); false when
/// another writer changed it first.
pub fn replace_if_current(conn: &mut DbConn, row: &WebhookRow, version: i64) -> Result<bool> {
    let n = diesel::update(webhooks::table.find(&row.id).filter(webhooks::version.eq(version)))
        .set(row)
        .execute(conn)?;
    Ok(n == 1)
}

/// Deletes a subscription with its attempts; its undelivered events die.
pub fn delete(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> Result<()> {
    diesel::update(
        outbox::table
            .filter(outbox::webhook_id.eq(id))
            .filter(outbox::state.eq(OutboxState::Pending.as_str())),
    )
    .set((
        outbox::state.eq(OutboxState::Dead.as_str()),
        outbox::last_error.eq(Some("the webhook was deleted")),
        outbox::updated_at.eq(at),
    ))
    .execute(conn)?;
    let n = diesel::delete(webhooks::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Subscriptions newest first, keyset-paginated.
pub fn list(conn: &mut DbConn, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<WebhookRow>> {
    let mut q = webhooks::table.select(WebhookRow::as_select()).into_boxed();
    if let Some(c) = cursor {
        q = q.filter(
            webhooks::created_at
                .lt(c.at)
                .or(webhooks::created_at.eq(c.at).and(webhooks::id.lt(c.id.clone()))),
        );
    }
    Ok(q.order((webhooks::created_at.desc(), webhooks::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// The enabled subscriptions to `event`, as (id, url).
pub fn subscribers(conn: &mut DbConn, event: EventType) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String, String)> = webhooks::table
        .filter(webhooks::enabled.eq(true))
        .select((webhooks::id, webhooks::url, webhooks::event_types))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, types)| types.split_whitespace().any(|t| t == event.as_str()))
        .map(|(id, url, _)| (id, url))
        .collect())
}

/// Writes one event for one webhook as a pending outbox row due now, with the webhook-id
/// `msg_<row id>`; returns the row id and the webhook-id. Call it in the transaction of the
/// change it reports.
pub fn insert_event(
    conn: &mut DbConn,
    webhook_id: &str,
    url: &str,
    event: EventType,
    body: &str,
    at: NaiveDateTime,
) -> Result<(String, String)> {
    let id = new_id();
    let message_id = format!("msg_{}", id.replace('-', ""));
    super::outbox::InsertRow(&super::outbox::NewRow {
        id: &id,
        message_id: &message_id,
        kind: event.as_str(),
        recipient: url,
        subject: "",
        body: Some(body),
        secret: false,
        state: OutboxState::Pending.as_str(),
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
        channel: OutboxChannel::Webhook.as_str(),
        webhook_id: Some(webhook_id),
        account_id: None,
    })
    .execute(conn)?;
    Ok((id, message_id))
}

/// Sends a webhook's event again, under its webhook-id: pending, due now, attempts from
/// zero. `Ok(None)`: the event is being sent right now.
pub fn replay(conn: &mut DbConn, webhook_id: &str, id: &str, at: NaiveDateTime) -> Result<Option<String>> {
    let event = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::webhook_id.eq(webhook_id))
        .filter(outbox::channel.eq(OutboxChannel::Webhook.as_str()));
    let found: Option<(String, String)> = event
        .select((outbox::state, outbox::message_id))
        .first(conn)
        .optional()?;
    let Some((state, message_id)) = found else {
        return Err(Error::NotFound);
    };
    if state == OutboxState::Sending.as_str() {
        return Ok(None);
    }
    // Not while a worker claims it between the read and this write.
    let n = diesel::update(event.filter(outbox::state.ne(OutboxState::Sending.as_str())))
        .set((
            outbox::state.eq(OutboxState::Pending.as_str()),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(at),
            outbox::lease_owner.eq(None::<String>),
            outbox::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok((n == 1).then_some(message_id))
}

/// One delivery attempt as recorded.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub webhook_id: String,
    pub outbox_id: String,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

pub fn insert_attempt(conn: &mut DbConn, row: &AttemptRow) -> Result<()> {
    diesel::insert_into(webhook_attempts::table).values(row).execute(conn)?;
    Ok(())
}

/// An attempt with its event: (attempt, event type, webhook-id, the event's state now).
pub type Delivery = (AttemptRow, String, String, String);

/// A webhook's attempts, newest first, keyset-paginated.
pub fn attempts(conn: &mut DbConn, webhook_id: &str, cursor: Option<&Cursor>, limit: i64) -> Result<Vec<Delivery>> {
    let mut q = webhook_attempts::table
        .inner_join(outbox::table)
        .filter(webhook_attempts::webhook_id.eq(webhook_id))
        .select((AttemptRow::as_select(), outbox::kind, outbox::message_id, outbox::state))
        .into_boxed();
    if let Some(c) = cursor {
        q = q.filter(
            webhook_attempts::attempted_at
                .lt(c.at)
                .or(webhook_attempts::attempted_at
                    .eq(c.at)
                    .and(webhook_attempts::id.lt(c.id.clone()))),
        );
    }
    Ok(
        q.order((webhook_attempts::attempted_at.desc(), webhook_attempts::id.desc()))
            .limit(limit + 1)
            .load(conn)?,
    )
}

/// Records how a webhook's latest attempt went: a success ends a run of failures; a failure
/// starts one (if none runs). Returns when the current run of failures began.
pub fn note_outcome(conn: &mut DbConn, id: &str, ok: bool, at: NaiveDateTime) -> Result<Option<NaiveDateTime>> {
    let target = webhooks::table.find(id);
    if ok {
        diesel::update(target.filter(webhooks::failing_since.is_not_null()))
            .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        return Ok(None);
    }
    diesel::update(target.filter(webhooks::failing_since.is_null()))
        .set(webhooks::failing_since.eq(Some(at)))
        .execute(conn)?;
    Ok(target.select(webhooks::failing_since).first(conn).optional()?.flatten())
}

/// Disables a webhook that kept failing; false when it was disabled already.
pub fn disable_failing(conn: &mut DbConn, id: &str, reason: &str, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(webhooks::table.find(id).filter(webhooks::enabled.eq(true)))
        .set((
            webhooks::enabled.eq(false),
            webhooks::disabled_reason.eq(Some(reason)),
            webhooks::version.eq(webhooks::version + 1),
            webhooks::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
