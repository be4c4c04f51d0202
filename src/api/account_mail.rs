//! What arrives by mail: email verification and password reset. Every token is consumed by a
//! POST only (mail scanners open links with GET), and asking for a reset answers the same
//! whether or not the address has an account.

use crate::api::caller::rate_limit;
use crate::api::caller::CurrentUser;
use crate::api::extract::Json;
use crate::api::mailed::{Accepted, TokenBody};
use crate::domain::account as rules;
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::{self, password_reset, verification};
use crate::state::State;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

/// Confirm an email address with the token from the verification mail. For an address
/// change, the new address replaces the old one now.
#[utoipa::path(
    operation_id = "auth_verify_email",
    tag = "auth",
    request_body = TokenBody,
    responses(
        (status = 204, description = "Verified"),
        (status = 400, description = "`invalid_token`: unknown, expired, used or replaced by a newer mail", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`: another account took the new address meanwhile", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(state: State, body: Json<TokenBody>) -> ApiResult<HttpResponse> {
    let token = body.into_inner()?.token;
    service::run(&state.pool, move |conn| verification::verify(conn, token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send the verification mail again (to the pending new address, if a change waits).
/// Rate-limited per account.
#[utoipa::path(
    operation_id = "auth_resend_verification",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, body = Accepted),
        (status = 409, description = "`already_verified`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(state: State, user: CurrentUser) -> ApiResult<HttpResponse> {
    state
        .mail_limiter
        .check(format!("account:{}", user.id))
        .map_err(ApiError::rate_limited)?;
    let mailer = state.mailer.clone();
    service::run(&state.pool, move |conn| verification::resend(conn, &mailer, user.id)).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "accepted",
        detail: "A new verification mail is on its way; earlier links no longer work.",
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(format = Email)]
    pub email: String,
}

const RESET_ACCEPTED: Accepted = Accepted {
    status: "accepted",
    detail: "If an account uses this address, a link to reset its password is on its way (valid for 30 minutes).",
};

/// Ask for a password reset link. The answer is the same whether or not the address has an
/// account, and comes before any lookup, so its timing tells nothing either. Rate-limited per
/// client address and per email address.
#[utoipa::path(
    operation_id = "auth_request_password_reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: State,
    req: HttpRequest,
    body: Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let email = rules::email(&body.into_inner()?.email).map_err(|e| ApiError::validation(vec![e]))?;
    state
        .mail_limiter
        .check(format!("email:{email}"))
        .map_err(ApiError::rate_limited)?;
    let (pool, mailer) = (state.pool.clone(), state.mailer.clone());
    // The lookup and the write run after the answer, so known and unknown addresses take
    // the same time; the request's id goes along for the log.
    let id = crate::request_id::current().unwrap_or_else(|| "password-reset".into());
    actix_web::rt::spawn(crate::request_id::in_scope(id, async move {
        let done = service::run(&pool, move |conn| password_reset::request(conn, &mailer, email)).await;
        if let Err(e) = done {
            log::error!("a password reset request failed: {e}");
        }
    }));
    Ok(HttpResponse::Accepted().json(RESET_ACCEPTED))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the mailed link's fragment (`#token=…`).
    pub token: String,
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Set a new password with the token from the reset mail. Every session of the account ends
/// (sign in again); the link and any other reset link stop working.
#[utoipa::path(
    operation_id = "auth_confirm_password_reset",
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is set; every token of the account is revoked"),
        (status = 400, description = "`invalid_token` (unknown, expired, used or replaced) or `validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: State,
    req: HttpRequest,
    body: Json<PasswordResetConfirm>,
) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let PasswordResetConfirm { token, new_password } = body.into_inner()?;
    rules::password("new_password", &new_password).map_err(|e| ApiError::validation(vec![e]))?;
    let hasher = state.hasher;
    let hash = web::block(move || hasher.hash(&new_password)).await?;
    service::run(&state.pool, move |conn| password_reset::confirm(conn, token, hash)).await?;
    Ok(HttpResponse::NoContent().finish())
}
