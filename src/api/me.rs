//! The signed-in account: read and edit its own profile, change its password.

use crate::api::account::{AccountOut, MePatch};
use crate::api::caller::CurrentUser;
use crate::api::extract::Json;
use crate::db::accounts::{self, AccountChanges};
use crate::db::{self, tokens};
use crate::domain::account as rules;
use crate::domain::codes::{Kind, Role, TokenPurpose};
use crate::error::{ApiError, ApiResult, Problem};
use crate::mail::compose;
use crate::service::{self, verification};
use crate::state::State;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

/// Own account and profile.
#[utoipa::path(
    operation_id = "get_me",tag = "me", security(("bearer" = [])), responses((status = 200, body = AccountOut)))]
#[get("/me")]
pub async fn get_me(state: State, user: CurrentUser) -> ApiResult<HttpResponse> {
    let account = service::run(&state.pool, move |conn| Ok(accounts::find(conn, &user.id)?)).await?;
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
    let st = state.clone();
    let mailer = state.mailer.clone();
    let account = service::run(&state.pool, move |conn| {
        service::transaction(conn, move |conn| {
            let current = accounts::find(conn, &user.id)?;
            let kind = match (current.role, current.kind()?) {
                (_, Some(kind)) => kind,
                (Role::Registrant, None) => return Err(ApiError::internal("a registrant account has no kind")),
                // Staff accounts have no kind; their profile follows the individual's rules.
                (_, None) => Kind::Individual,
            };
            let mut errors = Vec::new();
            let display_name = body
                .display_name
                .as_deref()
                .map(rules::display_name)
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            let profile = rules::build_profile(&current.profile(), body.profile(), kind)
                .map_err(|e| errors.extend(e))
                .ok();
            let email = body
                .email
                .as_deref()
                .map(rules::email)
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            let (Some(profile), true) = (profile, errors.is_empty()) else {
                return Err(ApiError::validation(errors));
            };
            let industry_changed = profile.industry != current.industry;
            let mut changes = AccountChanges::profile(display_name, profile);
            changes.notify_digest = body.notify_digest;
            // A new address waits for its confirmation; the current one cancels a pending change.
            let new_email = match email {
                Some(e) if e == current.email => {
                    changes.pending_email = Some(None);
                    None
                }
                Some(e) if current.pending_email.as_deref() == Some(e.as_str()) => None,
                Some(e) => {
                    if accounts::find_by_email(conn, &e)?.is_some() {
                        return Err(db::Error::Duplicate(db::Unique::AccountEmail).into());
                    }
                    changes.pending_email = Some(Some(e.clone()));
                    Some(e)
                }
                None => None,
            };
            let updated = accounts::update(conn, &user.id, changes, false)?;
            if industry_changed {
                db::activities::set_owner_industry(conn, &user.id, updated.industry.as_deref())?;
                db::generation::bump(conn)?;
            }
            if let Some(new_email) = new_email {
                let name = &updated.display_name;
                verification::send(conn, &mailer, &user.id, name, &new_email, true)?;
                mailer.enqueue(conn, compose::email_change_notice(&current.email, name, &new_email))?;
            }
            Ok(updated)
        })
    })
    .await?;
    st.public.invalidate();
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
    let stored = service::run(&state.pool, move |conn| Ok(accounts::find(conn, &id)?.password_hash)).await?;
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
    service::run(&state.pool, move |conn| {
        service::transaction(conn, move |conn| {
            let changes = AccountChanges {
                password_hash: Some(new_hash),
                ..Default::default()
            };
            accounts::update(conn, &user.id, changes, true)?;
            // Reset links mailed before the change stop working.
            db::mail_tokens::void_all(conn, &user.id, TokenPurpose::PasswordReset, db::now())?;
            Ok(tokens::revoke_all(conn, &user.id)?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
