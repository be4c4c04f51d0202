//! Audit events as the API shows them.

use crate::db::audit::AuditRow;
use crate::domain::clock::utc;
use crate::domain::codes::{ActorRole, AuditAction, ReasonCode};
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// One audit event. Owners see the acting role but not which moderator acted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub activity_id: Option<String>,
    /// The account the event concerns (account events).
    pub subject_account_id: Option<String>,
    /// The campaign's slug (campaign events).
    pub campaign: Option<String>,
    /// `null` for what the registry did itself (`actor_role` `system`); hidden (`null`) from
    /// owners when a moderator or admin acted.
    pub actor_id: Option<String>,
    pub actor_role: ActorRole,
    pub action: AuditAction,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub reason_code: Option<ReasonCode>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A stored code, or a 500 naming what is unreadable.
fn code<T: TryFrom<String, Error = crate::domain::codes::UnknownCode>>(raw: Option<String>) -> ApiResult<Option<T>> {
    raw.map(T::try_from)
        .transpose()
        .map_err(|e| ApiError::internal(format!("unreadable audit event: {e}")))
}

impl AuditEventOut {
    /// `campaign` is the slug of the event's campaign, if it has one.
    pub fn new(e: AuditRow, hide_staff: bool, campaign: Option<String>) -> ApiResult<Self> {
        let staff = e.actor_role.is_staff();
        Ok(Self {
            id: e.id,
            activity_id: e.activity_id,
            subject_account_id: e.subject_account_id,
            campaign,
            actor_id: if hide_staff && staff { None } else { e.actor_id },
            actor_role: e.actor_role,
            action: e.action,
            from_status: code(e.from_status)?,
            to_status: code(e.to_status)?,
            reason_code: code(e.reason_code)?,
            reason: e.reason,
            created_at: utc(e.created_at),
        })
    }
}
