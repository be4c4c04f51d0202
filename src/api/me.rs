//! The signed-in account: read and edit its own profile, change its password, erase it.

use crate::api::account::{AccountOut, MePatch};
use crate::api::activity::ActivityOut;
use crate::api::audit_view::AuditEventOut;
use crate::api::caller::CurrentUser;
use crate::api::event_view::SessionOut;
use crate::api::extract::Json;
use crate::domain::account as rules;
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::{self, accounts, accounts::ProfileEdit, erasure, my_data};
use crate::state::State;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Own account and profile.
#[utoipa::path(
    operation_id = "get_me",tag = "me", security(("bearer" = [])), responses((status = 200, body = AccountOut)))]
#[get("/me")]
pub async fn get_me(state: State, user: CurrentUser) -> ApiResult<HttpResponse> {
    let account = service::run(&state.pool, move |conn| accounts::find(conn, &user.id)).await?;
    Ok(HttpResponse::Ok().json(AccountOut::try_from(account)?))
}

/// Edit own display name, profile, email address and digest setting. Organization-only
/// fields are refused for individuals. A new email address is confirmed through a mailed
/// link before it replaces the current one, and the current one is told of the change.
#[utoipa::path(
    operation_id = "update_me",
    tag = "me",
    security(("bearer" = [])),
    request_body = MePatch,
    responses(
        (status = 200, body = AccountOut),
        (status = 409, description = "`corporate_number_taken` or `email_taken`", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/me")]
pub async fn patch_me(state: State, user: CurrentUser, body: Json<MePatch>) -> ApiResult<HttpResponse> {
    let body = body.into_inner()?;
    let edit = ProfileEdit {
        profile: body.profile(),
        display_name: body.display_name,
        email: body.email,
        notify_digest: body.notify_digest,
    };
    let mailer = state.mailer.clone();
    let account = service::run(&state.pool, move |conn| {
        accounts::update_profile(conn, &mailer, user.id, edit)
    })
    .await?;
    state.public.invalidate();
    Ok(HttpResponse::Ok().json(AccountOut::try_from(account)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Change the password. Every access and refresh token of the account stops working; sign
/// in again.
#[utoipa::path(
    operation_id = "change_my_password",
    tag = "me",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; all tokens revoked"),
        (status = 403, description = "`wrong_password`: the current password is wrong", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/me/password")]
pub async fn change_password(state: State, user: CurrentUser, body: Json<PasswordChange>) -> ApiResult<HttpResponse> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner()?;
    rules::password("new_password", &new_password).map_err(|e| ApiError::validation(vec![e]))?;
    let id = user.id.clone();
    let stored = service::run(&state.pool, move |conn| accounts::password_hash(conn, &id)).await?;
    let hasher = state.hasher;
    let new_hash = web::block(move || {
        hasher
            .verify(&stored, &current_password)
            .then(|| hasher.hash(&new_password))
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_password",
            "The current password is wrong.",
        )
    })?;
    service::run(&state.pool, move |conn| accounts::set_password(conn, user.id, new_hash)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseMe {
    /// The account's password, entered again.
    pub password: String,
}

/// Erase own account (APPI): every activity is withdrawn (so the public listing no longer
/// shows it), the contact data and profile are erased, every token stops working and mail
/// not yet sent is not sent. The audit log keeps its events under the account's id, which no
/// longer leads to a person. A registrant's right; staff accounts are erased by an admin
/// taking their role away first.
#[utoipa::path(
    operation_id = "erase_me",
    tag = "me",
    security(("bearer" = [])),
    request_body = EraseMe,
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "`wrong_password`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_a_registrant` or `erasure_incomplete` (try again)", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/me")]
pub async fn erase_me(state: State, user: CurrentUser, body: Json<EraseMe>) -> ApiResult<HttpResponse> {
    let password = body.into_inner()?.password;
    let id = user.id.clone();
    let stored = service::run(&state.pool, move |conn| accounts::password_hash(conn, &id)).await?;
    let hasher = state.hasher;
    if !web::block(move || hasher.verify(&stored, &password)).await? {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_password",
            "The password is wrong.",
        ));
    }
    let mailer = state.mailer.clone();
    let subject = user.id.clone();
    service::run(&state.pool, move |conn| erasure::erase(conn, &mailer, &user, subject)).await?;
    state.public.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// One of the caller's activities in their data export.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyActivityOut {
    pub activity: ActivityOut,
    /// Its history as its owner sees it.
    pub history: Vec<AuditEventOut>,
    /// Its event sessions with their counts (no applicant's data).
    pub sessions: Vec<SessionOut>,
}

/// Everything the registry holds about the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyDataOut {
    pub account: AccountOut,
    pub activities: Vec<MyActivityOut>,
    pub exported_at: chrono::DateTime<chrono::Utc>,
}

/// Own data (APPI): the account and profile, every activity with its history as the owner
/// sees it and its sessions; the people who applied to those sessions are theirs, not the
/// caller's, and are left out (their counts stay).
#[utoipa::path(
    operation_id = "export_my_data",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = MyDataOut))
)]
#[get("/me/export")]
pub async fn export_me(state: State, user: CurrentUser) -> ApiResult<HttpResponse> {
    let data = service::run(&state.pool, move |conn| my_data::my_data(conn, &user.id)).await?;
    let mut activities = Vec::with_capacity(data.activities.len());
    for a in data.activities {
        activities.push(MyActivityOut {
            history: a
                .history
                .into_iter()
                .map(|e| AuditEventOut::new(e, true, None))
                .collect::<ApiResult<_>>()?,
            sessions: a.sessions.into_iter().map(SessionOut::new).collect::<ApiResult<_>>()?,
            activity: ActivityOut::new(a.item)?,
        });
    }
    let out = MyDataOut {
        account: AccountOut::try_from(data.account)?,
        activities,
        exported_at: chrono::Utc::now(),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"my-data.json\""))
        .insert_header(("Cache-Control", "no-store"))
        .json(out))
}
