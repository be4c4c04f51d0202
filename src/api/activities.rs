//! A registrant's own activities: create drafts, list, read, edit, delete drafts, submit,
//! withdraw, and read the history. Other registrants' activities are 404s.

use crate::api::activity::{step_error, ActivityOut, ActivityPatch, NewActivity, QueueInfo, VersionBody};
use crate::api::audit_view::AuditEventOut;
use crate::api::caller::{CurrentUser, Registrant};
use crate::api::extract::{parse_id, Json, Query};
use crate::api::page::{self, Cursor, Listed, NoFilters, Page, PageParams, Paging};
use crate::domain::workflow::{Action, Status};
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::activities::{self, Owned};
use crate::service::{self, workflow::Step};
use crate::state::State;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The owner's view, with the queue position when it waits for a moderator.
fn owner_view(owned: Owned) -> ApiResult<ActivityOut> {
    let mut out = ActivityOut::new(owned.item)?;
    out.queue = owned.queue.map(|q| QueueInfo {
        position: q.position,
        median_wait_seconds: q.median_wait_seconds,
    });
    Ok(out)
}

/// Create a draft activity.
#[utoipa::path(
    operation_id = "create_activity",
    tag = "activities",
    security(("bearer" = [])),
    request_body = NewActivity,
    responses(
        (status = 201, body = ActivityOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities")]
pub async fn create(state: State, user: Registrant, body: Json<NewActivity>) -> ApiResult<HttpResponse> {
    let user = user.0;
    let (slug, input) = body.into_inner()?.text_input();
    let item = service::run(&state.pool, move |conn| activities::create(conn, user, slug, input)).await?;
    let out = ActivityOut::new(item)?;
    Ok(HttpResponse::Created().json(out))
}

/// Where a copy goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The slug of the campaign to copy into (another than the activity's own).
    pub campaign: String,
}

/// Next year's entry: a new draft in another campaign from one of own activities (any
/// status): its text as approved or last edited (not a pending revision) and its sessions
/// that are not cancelled, without applicants. Audited on the new draft (`create`, "copied
/// from …").
#[utoipa::path(
    operation_id = "copy_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = CopyRequest,
    responses(
        (status = 201, body = ActivityOut),
        (status = 400, description = "`validation_failed` or `unknown_campaign`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`same_campaign`: it is already in that campaign", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities/{id}/copy")]
pub async fn copy(
    state: State,
    user: Registrant,
    path: web::Path<String>,
    body: Json<CopyRequest>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let slug = body.into_inner()?.campaign;
    let item = service::run(&state.pool, move |conn| activities::copy(conn, user.0, &id, slug)).await?;
    Ok(HttpResponse::Created().json(ActivityOut::new(item)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OwnListQuery {
    /// Only activities in this status.
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    /// Only activities of this campaign (slug).
    pub campaign: Option<String>,
}

/// Own activities in any status, newest first.
#[utoipa::path(
    operation_id = "list_own_activities",
    tag = "activities",
    security(("bearer" = [])),
    params(OwnListQuery, PageParams),
    responses(
        (status = 200, body = Page<ActivityOut>),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities")]
pub async fn list(state: State, user: Registrant, query: Listed<OwnListQuery>) -> ApiResult<HttpResponse> {
    let (q, Paging { limit, cursor }) = query.into_parts()?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::field(
                "status",
                "invalid_choice",
                "must be draft, pending, approved, rejected, suspended or withdrawn",
            )
        })?),
    };
    let campaign = q.campaign;
    let rows = service::run(&state.pool, move |conn| {
        activities::list_own(conn, &user.0.id, (status, campaign), cursor.as_ref(), limit)
    })
    .await?;
    let page = page::try_finish(
        rows,
        limit,
        |(a, _)| Cursor {
            at: a.created_at,
            id: a.id.clone(),
        },
        ActivityOut::new,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// One of own activities, with its queue position while it waits.
#[utoipa::path(
    operation_id = "get_own_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = ActivityOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}")]
pub async fn get_one(state: State, user: Registrant, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let st = state.clone();
    let owned = service::run(&state.pool, move |conn| {
        activities::get_own(conn, &st.median_wait, &id, &user.0.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(owner_view(owned)?))
}

/// Runs an owner's step and answers with the owner's view.
async fn owner_step(state: &State, user: CurrentUser, id: String, step: Step) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let result = service::run(&state.pool, move |conn| {
        Ok(activities::owner_step(
            conn,
            &st.median_wait,
            &st.mailer,
            &user,
            &id,
            step,
        ))
    })
    .await
    .and_then(|done| done.map_err(step_error));
    // A step that committed and then failed to render may still have changed public data.
    if result.as_ref().map_or(true, |done| done.was_public) {
        state.public.invalidate();
    }
    let out = result?.after.map(owner_view).transpose()?;
    Ok(match out {
        Some(out) => HttpResponse::Ok().json(out),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Edit an activity. Drafts, rejected, suspended and withdrawn ones change directly; a
/// pending one stays pending; an approved one gets a pending revision (the public text stays
/// until a moderator approves it).
#[utoipa::path(
    operation_id = "edit_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = ActivityPatch,
    responses(
        (status = 200, body = ActivityOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`)", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/activities/{id}")]
pub async fn edit(
    state: State,
    user: Registrant,
    path: web::Path<String>,
    body: Json<ActivityPatch>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (version, input) = body.into_inner()?.text_input();
    let step = Step {
        action: Action::Edit,
        version,
        reason: None,
        edit: Some(input),
    };
    owner_step(&state, user.0, id, step).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// The version the client saw.
    #[param(value_type = i64)]
    pub version: Option<String>,
}

/// Delete a draft (only drafts can be deleted; withdraw anything else).
#[utoipa::path(
    operation_id = "delete_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition` or `version_conflict`", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/activities/{id}")]
pub async fn remove(
    state: State,
    user: Registrant,
    path: web::Path<String>,
    query: Query<DeleteQuery>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let version = match query.into_inner()?.version.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) => v,
        Some(Err(_)) => return Err(ApiError::field("version", "invalid_type", "must be an integer")),
        None => {
            return Err(ApiError::field(
                "version",
                "required",
                "pass the version you saw as ?version=N",
            ))
        }
    };
    let step = Step {
        action: Action::Delete,
        version,
        reason: None,
        edit: None,
    };
    owner_step(&state, user.0, id, step).await
}

/// Submit for approval (from draft, rejected, suspended or withdrawn), while the campaign's
/// registration is open and, where the registry requires it, once the account's email
/// address is verified.
#[utoipa::path(
    operation_id = "submit_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = VersionBody,
    responses(
        (status = 200, body = ActivityOut),
        (status = 403, description = "Not a registrant, or `email_unverified`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition` or `version_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`registration_closed`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities/{id}/submit")]
pub async fn submit(
    state: State,
    user: Registrant,
    path: web::Path<String>,
    body: Json<VersionBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    if state.config.mail.require_email_verification && !user.0.email_verified {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "email_unverified",
            "Confirm your email address first: open the link in the verification mail (POST /auth/verify-email/resend sends it again).",
        ));
    }
    let step = Step {
        action: Action::Submit,
        version: body.into_inner()?.version,
        reason: None,
        edit: None,
    };
    owner_step(&state, user.0, id, step).await
}

/// Withdraw (from any status but withdrawn); an approved activity leaves the public listing.
#[utoipa::path(
    operation_id = "withdraw_activity",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = VersionBody,
    responses(
        (status = 200, body = ActivityOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition` or `version_conflict`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/activities/{id}/withdraw")]
pub async fn withdraw(
    state: State,
    user: Registrant,
    path: web::Path<String>,
    body: Json<VersionBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let step = Step {
        action: Action::Withdraw,
        version: body.into_inner()?.version,
        reason: None,
        edit: None,
    };
    owner_step(&state, user.0, id, step).await
}

/// The audit events of an activity, oldest first (owner or moderator).
#[utoipa::path(
    operation_id = "get_activity_history",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses(
        (status = 200, body = Page<AuditEventOut>),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}/history")]
pub async fn history(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    query: Listed<NoFilters>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (_, Paging { limit, cursor }) = query.into_parts()?;
    let staff = user.role.is_staff();
    let rows = service::run(&state.pool, move |conn| {
        activities::history(conn, &user, &id, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::try_finish(
        rows,
        limit,
        |e| Cursor {
            at: e.created_at,
            id: e.id.clone(),
        },
        |e| AuditEventOut::new(e, !staff, None),
    )?;
    Ok(HttpResponse::Ok().json(page))
}
