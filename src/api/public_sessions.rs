//! The public side of event sessions: the sessions of an approved activity, and
//! applications without an account. Every token rides in a POST body (mail scanners open
//! links with GET), and applying answers the same whether or not the address applied before.

use crate::api::caller::rate_limit;
use crate::api::event_view::{ApplicantOut, NewApplication};
use crate::api::extract::{parse_id, Json};
use crate::api::mailed::{Accepted, TokenBody};
use crate::error::{ApiError, ApiResult, Problem};
use crate::service;
use crate::service::applications::{self, ApplicationInput};
use crate::service::public::sessions::{self, PublicSession};
use crate::state::State;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicSessionList {
    pub items: Vec<PublicSession>,
}

/// The sessions of an approved activity, with seats and open status.
#[utoipa::path(
    operation_id = "public_sessions_list",
    tag = "public",
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = PublicSessionList),
        (status = 404, description = "No approved activity with this id", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/public/activities/{id}/sessions")]
pub async fn list(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let items = service::run(&state.pool, move |conn| sessions::of_activity(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(PublicSessionList { items }))
}

const APPLIED: Accepted = Accepted {
    status: "accepted",
    detail: "A mail with a link to confirm the application is on its way; it counts once confirmed (the link works for 48 hours).",
};

/// Apply to a session (no account needed). The application counts only after the link in
/// the mailed confirmation is used. A second application of the same address (ignoring case
/// and full-width forms) gets the same answer and a mail saying it exists. Rate-limited per
/// client address and per email address.
#[utoipa::path(
    operation_id = "public_applications_create",
    tag = "public",
    params(("sid" = String, Path, format = Uuid)),
    request_body = NewApplication,
    responses(
        (status = 202, body = Accepted),
        (status = 404, description = "No such public session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`applications_not_open`, `applications_closed`, `session_cancelled` or `session_full`", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/public/sessions/{sid}/applications")]
pub async fn apply(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<NewApplication>,
) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let sid = parse_id("sid", &path)?;
    let b = body.into_inner()?;
    let st = state.clone();
    let budget = move |email: &str| {
        st.mail_limiter
            .check(format!("application:{email}"))
            .map_err(ApiError::rate_limited)
    };
    let input = ApplicationInput {
        name: b.name,
        email: b.email,
        organization: b.organization,
        answers: b.answers,
    };
    let mailer = state.mailer.clone();
    service::run(&state.pool, move |conn| {
        applications::apply(conn, &mailer, sid, input, budget)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(APPLIED))
}

/// Confirm an application with the token from its mail: a seat while seats remain, else
/// the waitlist (when the session has one), else 409 `session_full`.
#[utoipa::path(
    operation_id = "public_applications_confirm",
    tag = "public",
    request_body = TokenBody,
    responses(
        (status = 200, description = "`status` is `confirmed` or `waitlisted`", body = ApplicantOut),
        (status = 400, description = "`invalid_token`: unknown, expired or used", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_full`, `applications_closed` or `session_cancelled`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/public/applications/confirm")]
pub async fn confirm(state: State, req: HttpRequest, body: Json<TokenBody>) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let token = body.into_inner()?.token;
    let mailer = state.mailer.clone();
    let a = service::run(&state.pool, move |conn| applications::confirm(conn, &mailer, token)).await?;
    Ok(HttpResponse::Ok().json(ApplicantOut::new(a)?))
}

/// Your application, from the link in any mail about it (the online URL while you hold a
/// seat).
#[utoipa::path(
    operation_id = "public_applications_view",
    tag = "public",
    request_body = TokenBody,
    responses(
        (status = 200, body = ApplicantOut),
        (status = 400, description = "`invalid_token`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/public/applications/view")]
pub async fn view(state: State, req: HttpRequest, body: Json<TokenBody>) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let token = body.into_inner()?.token;
    let a = service::run(&state.pool, move |conn| applications::view(conn, token)).await?;
    Ok(HttpResponse::Ok().json(ApplicantOut::new(a)?))
}

/// Cancel your application with the link from any mail about it. A freed seat goes to the
/// oldest waitlisted applicant at once. The links stop working.
#[utoipa::path(
    operation_id = "public_applications_cancel",
    tag = "public",
    request_body = TokenBody,
    responses(
        (status = 200, description = "`status` is `cancelled`", body = ApplicantOut),
        (status = 400, description = "`invalid_token`: unknown, or the application is already cancelled", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/public/applications/cancel")]
pub async fn cancel(state: State, req: HttpRequest, body: Json<TokenBody>) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let token = body.into_inner()?.token;
    let mailer = state.mailer.clone();
    let a = service::run(&state.pool, move |conn| applications::cancel(conn, &mailer, token)).await?;
    Ok(HttpResponse::Ok().json(ApplicantOut::new(a)?))
}
