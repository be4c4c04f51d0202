//! What admins send and see of webhooks: subscriptions (the secret only once), their
//! delivery attempts, and the answers to a replay or a test.

use crate::db::webhooks::{Delivery, WebhookRow};
use crate::domain::clock::utc;
use crate::domain::codes::{EventType, OutboxState};
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A subscription as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: String,
    pub enabled: bool,
    /// Why the registry disabled it (after five days of failed deliveries), if it did.
    pub disabled_reason: Option<String>,
    /// When the current run of failed deliveries began; `null` while deliveries succeed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still signs (beside the new one).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Send it back in a PATCH; a stale one gets 409.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookOut {
    pub fn new(r: WebhookRow) -> ApiResult<Self> {
        Ok(Self {
            event_types: r.events()?,
            id: r.id,
            url: r.url,
            description: r.description,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since.map(utc),
            previous_secret_expires_at: r.previous_secret_until.map(utc),
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
}

/// A subscription with its signing secret: shown at creation and after a rotation only (no
/// `Debug`: it holds the secret).
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// `whsec_` and the base64 of the key: verify `webhook-signature` with it. It is not
    /// shown again.
    pub secret: String,
}

impl WebhookWithSecret {
    pub fn new(r: WebhookRow) -> ApiResult<Self> {
        let secret = r.secret.clone();
        Ok(Self {
            webhook: WebhookOut::new(r)?,
            secret,
        })
    }
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// An https URL (http only when the registry allows it) that resolves to public addresses.
    #[schema(max_length = 2000)]
    pub url: String,
    /// The events to receive: one or more of the `activity.*` types.
    #[schema(value_type = Vec<EventType>, min_items = 1)]
    pub event_types: Vec<String>,
    /// For people: whose dashboard this is.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Defaults to true.
    pub enabled: Option<bool>,
}

/// A change to a subscription; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// The version you saw.
    pub version: i64,
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<EventType>>, min_items = 1)]
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Enabling a webhook again forgets its run of failures.
    pub enabled: Option<bool>,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    #[schema(format = Uuid)]
    pub id: String,
    /// The event: replay it with `POST /admin/webhooks/{id}/deliveries/{delivery_id}/replay`.
    #[schema(format = Uuid)]
    pub delivery_id: String,
    /// The event's `webhook-id` header, the same on every attempt and replay.
    pub message_id: String,
    pub event_type: EventType,
    /// Where the event stands now: `pending`, `sending`, `sent` or `dead`.
    pub delivery_state: OutboxState,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code; `null` when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    /// Why the attempt failed; `null` for a delivered one.
    pub error: Option<String>,
}

impl DeliveryAttempt {
    pub fn new((a, kind, message_id, state): Delivery) -> ApiResult<Self> {
        let bad = |what: &str, v: &str| ApiError::internal(format!("stored {what} `{v}` is unknown"));
        Ok(Self {
            event_type: EventType::parse(&kind).ok_or_else(|| bad("event type", &kind))?,
            delivery_state: OutboxState::parse(&state).ok_or_else(|| bad("outbox state", &state))?,
            id: a.id,
            delivery_id: a.outbox_id,
            message_id,
            attempted_at: utc(a.attempted_at),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
        })
    }
}

/// An event queued for delivery (by a replay or a test).
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    #[schema(format = Uuid)]
    pub delivery_id: String,
    /// Its `webhook-id`.
    pub message_id: String,
}
