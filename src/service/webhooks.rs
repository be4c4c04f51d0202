//! Webhooks: subscriptions an admin manages (each change audited), the events workflow steps
//! write for them in their own transaction, and the deliveries an admin inspects, replays
//! and tests.

use crate::config::webhooks::WebhookConfig;
use crate::db::activities::ActivityRow;
use crate::db::audit::AuditEvent;
use crate::db::webhooks::{self, Delivery, WebhookRow};
use crate::db::{self, new_id, now, public, Conn, DbConn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, EventType};
use crate::domain::page::Cursor;
use crate::domain::webhook as rules;
use crate::error::{ApiError, ApiResult};
use crate::service::public::PublicActivity;
use crate::service::EditError;
use crate::webhook::resolve_guarded;
use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};

/// How long a rotated-out secret still signs, so receivers can switch without a gap.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Checks a URL a subscription names, resolving its host (blocking: call it off the async
/// workers): 400 for a malformed URL, 422 `url_not_allowed` for a host that resolves to a
/// private or reserved address (unless allowed), 422 `url_unresolvable` for one that does
/// not resolve.
pub fn vet_url(raw: &str, config: WebhookConfig) -> ApiResult<String> {
    let u = rules::url(raw, config.allow_http).map_err(|e| ApiError::validation(vec![e]))?;
    let port = u.port_or_known_default().unwrap_or(443);
    let (host, netloc) = match u.host() {
        Some(url::Host::Ipv6(a)) => (a.to_string(), format!("[{a}]:{port}")),
        Some(h) => (h.to_string(), format!("{h}:{port}")),
        None => return Err(ApiError::field("url", "invalid_url", "must name a host")),
    };
    match resolve_guarded(&netloc, config.allow_private) {
        Ok(_) => Ok(u.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(ApiError::unprocessable(
            "url_not_allowed",
            format!("{e}; webhooks reach public addresses only"),
        )),
        Err(_) => Err(ApiError::unprocessable(
            "url_unresolvable",
            format!("The host `{host}` does not resolve."),
        )),
    }
}

/// A new subscription, its URL already vetted.
pub struct NewWebhook {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: String,
    pub enabled: bool,
}

/// Audits a change by the webhook's id and host (its path and query may hold a receiver's
/// token, and audit rows stay).
fn audit(conn: &mut DbConn, admin: &Actor, action: AuditAction, hook: &WebhookRow) -> db::Result<()> {
    let host = url::Url::parse(&hook.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let detail = format!("webhook {} {host}", hook.id);
    AuditEvent::other(admin, action, detail).insert(conn)
}

/// Creates a subscription with a new signing secret (the row carries it, to show once).
pub fn create(conn: &mut Conn, admin: Actor, new: NewWebhook) -> ApiResult<WebhookRow> {
    Ok(db::transaction(conn, move |conn| {
        let at = now();
        let mut row = WebhookRow {
            id: new_id(),
            url: new.url,
            event_types: String::new(),
            description: new.description,
            enabled: new.enabled,
            secret: rules::new_secret(),
            previous_secret: None,
            previous_secret_until: None,
            failing_since: None,
            disabled_reason: None,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        row.set_events(&new.event_types);
        webhooks::insert(conn, &row)?;
        audit(conn, &admin, AuditAction::WebhookCreate, &row)?;
        Ok::<_, db::Error>(row)
    })?)
}

pub fn find(conn: &mut Conn, id: &str) -> ApiResult<WebhookRow> {
    Ok(webhooks::find(conn, id)?)
}

/// One page of subscriptions, newest first (one row more than `limit` when there are more).
pub fn list(conn: &mut Conn, cursor: Option<&Cursor>, limit: i64) -> ApiResult<Vec<WebhookRow>> {
    Ok(webhooks::list(conn, cursor, limit)?)
}

/// An admin's change; `None` leaves a field as it is.
pub struct WebhookEdit {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Applies an edit if the subscription is still at `version`. Enabling it again forgets its
/// run of failures.
pub fn update(
    conn: &mut Conn,
    admin: Actor,
    id: String,
    version: i64,
    edit: WebhookEdit,
) -> Result<WebhookRow, EditError<WebhookRow>> {
    db::transaction(conn, move |conn| {
        let current = webhooks::find(conn, &id)?;
        if current.version != version {
            return Err(EditError::Stale(Box::new(current)));
        }
        let mut next = current.clone();
        if let Some(url) = edit.url {
            next.url = url;
        }
        if let Some(types) = edit.event_types {
            next.set_events(&types);
        }
        if let Some(d) = edit.description {
            next.description = d;
        }
        if let Some(enabled) = edit.enabled {
            if enabled && !current.enabled {
                next.failing_since = None;
                next.disabled_reason = None;
            }
            next.enabled = enabled;
        }
        next.version = current.version + 1;
        next.updated_at = now();
        if !webhooks::replace_if_current(conn, &next, version)? {
            return Err(EditError::Stale(Box::new(webhooks::find(conn, &id)?)));
        }
        audit(conn, &admin, AuditAction::WebhookUpdate, &next)?;
        Ok(next)
    })
}

/// Deletes a subscription; its undelivered events die with it.
pub fn delete(conn: &mut Conn, admin: Actor, id: String) -> ApiResult<()> {
    Ok(db::transaction(conn, move |conn| {
        let hook = webhooks::find(conn, &id)?;
        webhooks::delete(conn, &id, now())?;
        audit(conn, &admin, AuditAction::WebhookDelete, &hook)
    })?)
}

/// Gives a subscription a new secret; the old one keeps signing (beside it) for
/// [`ROTATION_OVERLAP_HOURS`]. The row carries the new secret, to show once.
pub fn rotate_secret(conn: &mut Conn, admin: Actor, id: String) -> ApiResult<WebhookRow> {
    db::transaction(conn, move |conn| {
        let current = webhooks::find(conn, &id)?;
        let at = now();
        let mut next = current.clone();
        next.previous_secret = Some(current.secret.clone());
        next.previous_secret_until = Some(at + chrono::Duration::hours(ROTATION_OVERLAP_HOURS));
        next.secret = rules::new_secret();
        next.version = current.version + 1;
        next.updated_at = at;
        if !webhooks::replace_if_current(conn, &next, current.version)? {
            return Err(ApiError::conflict(
                "version_conflict",
                "The webhook changed during the rotation; try again.",
            ));
        }
        audit(conn, &admin, AuditAction::WebhookRotateSecret, &next)?;
        Ok(next)
    })
}

/// One page of a subscription's delivery attempts, newest first.
pub fn deliveries(conn: &mut Conn, id: &str, cursor: Option<&Cursor>, limit: i64) -> ApiResult<Vec<Delivery>> {
    webhooks::find(conn, id)?;
    Ok(webhooks::attempts(conn, id, cursor, limit)?)
}

/// Sends an event again under its webhook-id; returns that id. 409 `delivery_in_progress`
/// while it is being sent.
pub fn replay(conn: &mut Conn, admin: Actor, id: String, delivery_id: String) -> ApiResult<String> {
    db::transaction(conn, move |conn| {
        let hook = webhooks::find(conn, &id)?;
        let Some(message_id) = webhooks::replay(conn, &id, &delivery_id, now())? else {
            return Err(ApiError::conflict(
                "delivery_in_progress",
                "This event is being sent right now; replay it once the attempt is over.",
            ));
        };
        let detail = format!("webhook {} event {message_id}", hook.id);
        AuditEvent::other(&admin, AuditAction::WebhookReplay, detail).insert(conn)?;
        Ok(message_id)
    })
}

/// Writes a `webhook.test` event for one enabled subscription; returns its delivery id and
/// webhook-id.
pub fn test(conn: &mut Conn, admin: Actor, id: String) -> ApiResult<(String, String)> {
    db::transaction(conn, move |conn| {
        let hook = webhooks::find(conn, &id)?;
        if !hook.enabled {
            return Err(ApiError::conflict(
                "webhook_disabled",
                "This webhook is disabled; enable it first.",
            ));
        }
        let at = now();
        let body = payload(EventType::WebhookTest, json!({ "webhook_id": hook.id }));
        let delivery = webhooks::insert_event(conn, &hook.id, &hook.url, EventType::WebhookTest, &body, at)?;
        audit(conn, &admin, AuditAction::WebhookTest, &hook)?;
        Ok(delivery)
    })
}

/// An event's body. Its `timestamp` is the step's time to the microsecond, so that a
/// receiver can order the events of an activity, which a retry can deliver out of order.
fn payload(event: EventType, data: Value) -> String {
    json!({
        "type": event.as_str(),
        "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": data,
    })
    .to_string()
}

/// Writes `event` about `row` for every enabled subscriber, in the caller's transaction.
/// A public event carries the activity's public view; any other only its id, campaign,
/// status and version. Never contact data.
pub fn emit(conn: &mut DbConn, event: EventType, row: &ActivityRow, campaign: &str) -> db::Result<()> {
    let subscribers = webhooks::subscribers(conn, event)?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let data = if event.is_public() {
        let view = public::find(conn, &row.id)?
            .ok_or_else(|| db::Error::Corrupt(format!("approved activity {} is not public", row.id)))?;
        serde_json::to_value(PublicActivity::new(view)).map_err(|e| db::Error::Other(e.to_string()))?
    } else {
        json!({
            "id": row.id,
            "campaign": campaign,
            "status": row.status.as_str(),
            "version": row.version,
        })
    };
    let body = payload(event, data);
    let at = now();
    for (id, url) in subscribers {
        webhooks::insert_event(conn, &id, &url, event, &body, at)?;
    }
    Ok(())
}
