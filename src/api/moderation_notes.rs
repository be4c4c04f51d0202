//! Moderators' notes on an activity (staff only: never shown to its owner or the public),
//! and the queue's length for a badge.

use crate::api::caller::Moderator;
use crate::api::extract::{parse_id, Json};
use crate::api::page::{self, Cursor, Listed, NoFilters, Page, PageParams, Paging};
use crate::db::audit::AuditRow;
use crate::domain::clock::utc;
use crate::domain::text::{self, Lines};
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::{self, moderation};
use crate::state::State;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub activity_id: String,
    #[schema(format = Uuid)]
    pub author_id: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl NoteOut {
    fn new(e: AuditRow) -> Self {
        Self {
            id: e.id,
            activity_id: e.activity_id.unwrap_or_default(),
            author_id: e.actor_id,
            body: e.reason.unwrap_or_default(),
            created_at: utc(e.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// 1–2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub body: String,
}

/// Leave a note on an activity for the other moderators.
#[utoipa::path(
    operation_id = "moderation_add_note",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = NewNote,
    responses(
        (status = 201, body = NoteOut),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/notes")]
pub async fn add(state: State, m: Moderator, path: web::Path<String>, body: Json<NewNote>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let text =
        text::clean("body", &body.into_inner()?.body, 2000, Lines::Multi).map_err(|e| ApiError::validation(vec![e]))?;
    let row = service::run(&state.pool, move |conn| moderation::add_note(conn, m.0, id, text)).await?;
    Ok(HttpResponse::Created().json(NoteOut::new(row)))
}

/// The notes on an activity, oldest first.
#[utoipa::path(
    operation_id = "moderation_list_notes",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses(
        (status = 200, body = Page<NoteOut>),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/activities/{id}/notes")]
pub async fn list(
    state: State,
    _m: Moderator,
    path: web::Path<String>,
    query: Listed<NoFilters>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (_, Paging { limit, cursor }) = query.into_parts()?;
    let rows = service::run(&state.pool, move |conn| {
        moderation::notes(conn, &id, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::finish(
        rows,
        limit,
        |e| Cursor {
            at: e.created_at,
            id: e.id.clone(),
        },
        NoteOut::new,
    );
    Ok(HttpResponse::Ok().json(page))
}

/// How many items wait in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueCount {
    pub count: i64,
}

/// The queue's length, for a badge: cheap enough to poll.
#[utoipa::path(
    operation_id = "moderation_queue_count",
    tag = "moderation",
    security(("bearer" = [])),
    responses(
        (status = 200, body = QueueCount),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/queue/count")]
pub async fn queue_count(state: State, _m: Moderator) -> ApiResult<HttpResponse> {
    let count = service::run(&state.pool, moderation::queue_count).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(QueueCount { count }))
}
