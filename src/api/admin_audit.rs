//! Admin: the global audit log.

use crate::api::audit_view::AuditEventOut;
use crate::api::caller::Admin;
use crate::api::extract::parse_id;
use crate::api::page::{self, Cursor, Listed, Page, PageParams, Paging};
use crate::db::audit::AuditFilter;
use crate::domain::codes::AuditAction;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::{self, audit};
use crate::state::State;
use actix_web::{get, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Account id of the actor.
    #[param(value_type = Option<String>, format = Uuid)]
    pub actor: Option<String>,
    /// Action name, e.g. `approve`.
    #[param(value_type = Option<AuditAction>)]
    pub action: Option<String>,
    /// Activity id.
    #[param(value_type = Option<String>, format = Uuid)]
    pub activity: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

fn time(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDateTime> {
    raw.and_then(|s| match DateTime::parse_from_rfc3339(s.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc).naive_utc()),
        Err(_) => {
            errors.push(FieldError::new(field, "invalid_format", "must be an RFC 3339 time"));
            None
        }
    })
}

/// Audit events, newest first, filtered by actor, action, activity and time.
#[utoipa::path(
    operation_id = "admin_list_audit_events",
    tag = "admin",
    security(("bearer" = [])),
    params(AuditQuery, PageParams),
    responses(
        (status = 200, body = Page<AuditEventOut>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/audit")]
pub async fn list(state: State, _admin: Admin, query: Listed<AuditQuery>) -> ApiResult<HttpResponse> {
    let (q, paging) = query.split();
    let q = q?;
    let mut errors = Vec::new();
    let actor_id = q
        .actor
        .as_deref()
        .map(|a| parse_id("actor", a))
        .transpose()
        .map_err(|e| errors.extend(e.errors().iter().cloned()))
        .ok()
        .flatten();
    let activity_id = q
        .activity
        .as_deref()
        .map(|a| parse_id("activity", a))
        .transpose()
        .map_err(|e| errors.extend(e.errors().iter().cloned()))
        .ok()
        .flatten();
    let action = AuditAction::parse_field("action", q.action.as_deref(), &mut errors);
    let since = time("since", q.since.as_deref(), &mut errors);
    let until = time("until", q.until.as_deref(), &mut errors);
    let paging = paging.map_err(|e| errors.extend(e));
    let (Ok(Paging { limit, cursor }), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let filter = AuditFilter {
        actor_id,
        action,
        activity_id,
        since,
        until,
    };
    let rows = service::run(&state.pool, move |conn| {
        audit::list(conn, &filter, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::try_finish(
        rows,
        limit,
        |(e, _)| Cursor {
            at: e.created_at,
            id: e.id.clone(),
        },
        |(e, slug)| AuditEventOut::new(e, false, slug),
    )?;
    Ok(HttpResponse::Ok().json(page))
}
