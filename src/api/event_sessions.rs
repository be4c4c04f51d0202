//! An activity's event sessions for its owner: create, list, edit, delete and cancel. Staff
//! may list them; anyone else gets the 404 of a missing activity.

use crate::api::caller::{CurrentUser, Registrant};
use crate::api::event_view::{NewSession, SessionOut, SessionPatch};
use crate::api::extract::{parse_id, Json};
use crate::error::{ApiResult, Problem};
use crate::service::events;
use crate::service::{self};
use crate::state::State;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionOut>,
}

fn ids(path: &(String, String)) -> ApiResult<(String, String)> {
    Ok((parse_id("id", &path.0)?, parse_id("sid", &path.1)?))
}

/// Add an event session to one of your activities (any status; it is public while the
/// activity is approved).
#[utoipa::path(
    operation_id = "sessions_create",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = NewSession,
    responses(
        (status = 201, body = SessionOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of your activities", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`validation_failed`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities/{id}/sessions")]
pub async fn create(
    state: State,
    Registrant(user): Registrant,
    path: web::Path<String>,
    body: Json<NewSession>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let input = body.into_inner()?.into();
    let row = service::run(&state.pool, move |conn| events::create(conn, user, id, input)).await?;
    Ok(HttpResponse::Created().json(SessionOut::new(row)?))
}

/// The sessions of an activity, in the order they take place (owner and staff), with the
/// private fields.
#[utoipa::path(
    operation_id = "sessions_list",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = SessionList),
        (status = 404, description = "Not your activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}/sessions")]
pub async fn list(state: State, user: CurrentUser, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let rows = service::run(&state.pool, move |conn| events::list(conn, user, id)).await?;
    let items = rows.into_iter().map(SessionOut::new).collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// Edit a session at the version you read. Raising the capacity promotes waitlisted
/// applicants at once (and mails them).
#[utoipa::path(
    operation_id = "sessions_update",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("sid" = String, Path, format = Uuid)),
    request_body = SessionPatch,
    responses(
        (status = 200, body = SessionOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of your activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`), `session_cancelled`, `questions_locked` or `capacity_below_confirmed`", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`validation_failed`", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/activities/{id}/sessions/{sid}")]
pub async fn update(
    state: State,
    Registrant(user): Registrant,
    path: web::Path<(String, String)>,
    body: Json<SessionPatch>,
) -> ApiResult<HttpResponse> {
    let ids = ids(&path)?;
    let (version, input) = body.into_inner()?.split();
    let mailer = state.mailer.clone();
    let row = service::run(&state.pool, move |conn| {
        events::update(conn, &mailer, user, ids, version, input).map_err(|e| {
            e.into_api(SessionOut::new, |_| {
                "The session changed since you read it; `current` is what it is now.".to_owned()
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(SessionOut::new(row)?))
}

/// Delete a session that nobody holds a seat in or waits for.
#[utoipa::path(
    operation_id = "sessions_delete",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("sid" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of your activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_has_applicants`: cancel it instead", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/activities/{id}/sessions/{sid}")]
pub async fn remove(
    state: State,
    Registrant(user): Registrant,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, sid) = ids(&path)?;
    service::run(&state.pool, move |conn| events::delete(conn, user, id, sid)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel a session: every application is cancelled and every confirmed or waitlisted
/// applicant is mailed.
#[utoipa::path(
    operation_id = "sessions_cancel",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("sid" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = SessionOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of your activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_cancelled`: it already is", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities/{id}/sessions/{sid}/cancel")]
pub async fn cancel(
    state: State,
    Registrant(user): Registrant,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, sid) = ids(&path)?;
    let mailer = state.mailer.clone();
    let row = service::run(&state.pool, move |conn| events::cancel(conn, &mailer, user, id, sid)).await?;
    Ok(HttpResponse::Ok().json(SessionOut::new(row)?))
}
