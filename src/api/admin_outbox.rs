//! Admin: the outbox, listed by state, and a retry of a dead mail (audited). Bodies are never
//! shown: they may hold one-time links.

use crate::api::caller::Admin;
use crate::api::extract::parse_id;
use crate::api::page::{self, Cursor, Listed, Page, PageParams, Paging};
use crate::db::outbox::OutboxRow;
use crate::domain::clock::utc;
use crate::domain::codes::{MailKind, OutboxState};
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::{self, outbox};
use crate::state::State;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One mail in the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessage {
    #[schema(format = Uuid)]
    pub id: String,
    /// The `Message-ID` header; the same on every delivery attempt.
    pub message_id: String,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub state: OutboxState,
    /// Delivery attempts started so far.
    pub attempts: i32,
    /// When a pending mail is tried next (or a sending one's lease ends).
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            message_id: r.message_id,
            kind: r.kind,
            recipient: r.recipient,
            subject: r.subject,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: utc(r.next_attempt_at),
            last_error: r.last_error,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            sent_at: r.sent_at.map(utc),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only mails in this state.
    #[param(value_type = Option<OutboxState>)]
    pub state: Option<String>,
}

/// The outbox, newest first, optionally in one state.
#[utoipa::path(
    operation_id = "admin_list_outbox",
    tag = "admin",
    security(("bearer" = [])),
    params(OutboxQuery, PageParams),
    responses(
        (status = 200, body = Page<OutboxMessage>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/outbox")]
pub async fn list(state: State, _admin: Admin, query: Listed<OutboxQuery>) -> ApiResult<HttpResponse> {
    let (q, paging) = query.split();
    let q = q?;
    let mut errors = Vec::new();
    let wanted = OutboxState::parse_field("state", q.state.as_deref(), &mut errors);
    let paging = paging.map_err(|e| errors.extend(e));
    let (Ok(Paging { limit, cursor }), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let rows = service::run(&state.pool, move |conn| {
        outbox::list(conn, wanted, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::finish(
        rows,
        limit,
        |r| Cursor {
            at: r.created_at,
            id: r.id.clone(),
        },
        OutboxMessage::from,
    );
    Ok(HttpResponse::Ok().json(page))
}

/// Try a dead mail again: it becomes pending, due now, with a fresh count of attempts. A mail
/// whose one-time link was erased when it died cannot be retried; its recipient asks anew.
#[utoipa::path(
    operation_id = "admin_retry_outbox_message",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = OutboxMessage),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mail", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state` (not dead) or `mail_erased` (its one-time link is gone)", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/outbox/{id}/retry")]
pub async fn retry(state: State, admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let row = service::run(&state.pool, move |conn| outbox::retry(conn, admin.0, id)).await?;
    Ok(HttpResponse::Ok().json(OutboxMessage::from(row)))
}
