//! Admin: list accounts, create moderators and admins, change roles, disable and enable.

use crate::api::account::AccountOut;
use crate::api::caller::{Admin, Role};
use crate::api::extract::{parse_id, Json};
use crate::api::page::{self, Cursor, Listed, Page, PageParams, Paging};
use crate::db::accounts::ListFilter;
use crate::domain::account as rules;
use crate::domain::codes::Kind;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::{self, staff, staff::AccountEdit};
use crate::state::State;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountListQuery {
    /// `registrant`, `moderator` or `admin`.
    #[param(value_type = Option<Role>)]
    pub role: Option<String>,
    /// `organization` or `individual`.
    #[param(value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// `true` for disabled accounts only, `false` for enabled ones.
    #[param(value_type = Option<bool>)]
    pub disabled: Option<String>,
    /// Substring of the email or display name.
    pub q: Option<String>,
}

/// Every account, newest first.
#[utoipa::path(
    operation_id = "admin_list_accounts",
    tag = "admin",
    security(("bearer" = [])),
    params(AccountListQuery, PageParams),
    responses(
        (status = 200, body = Page<AccountOut>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/accounts")]
pub async fn list(state: State, _admin: Admin, query: Listed<AccountListQuery>) -> ApiResult<HttpResponse> {
    let (q, paging) = query.split();
    let q = q?;
    let mut errors = Vec::new();
    let role = Role::parse_field("role", q.role.as_deref(), &mut errors);
    let kind = Kind::parse_field("kind", q.kind.as_deref(), &mut errors);
    let disabled = match q.disabled.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(FieldError::new("disabled", "invalid_choice", "must be true or false"));
            None
        }
    };
    let paging = paging.map_err(|e| errors.extend(e));
    let (Ok(Paging { limit, cursor }), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let filter = ListFilter {
        role,
        kind,
        disabled,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let rows = service::run(&state.pool, move |conn| {
        staff::list(conn, &filter, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::try_finish(
        rows,
        limit,
        |a| Cursor {
            at: a.created_at,
            id: a.id.clone(),
        },
        AccountOut::try_from,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// A new staff account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    #[schema(format = Email)]
    pub email: String,
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    /// `moderator` or `admin`.
    #[schema(pattern = "^(moderator|admin)$")]
    pub role: String,
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
}

fn staff_role(field: &str, raw: &str) -> Result<Role, FieldError> {
    match Role::parse(raw) {
        Some(r) if r.is_staff() => Ok(r),
        _ => Err(FieldError::new(field, "invalid_choice", "must be moderator or admin")),
    }
}

/// Create a moderator or admin account.
#[utoipa::path(
    operation_id = "admin_create_account",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewStaff,
    responses(
        (status = 201, body = AccountOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/accounts")]
pub async fn create(state: State, admin: Admin, body: Json<NewStaff>) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let mut errors = Vec::new();
    let email = rules::email(&b.email).map_err(|e| errors.push(e)).ok();
    let _ = rules::password("password", &b.password).map_err(|e| errors.push(e));
    let role = staff_role("role", &b.role).map_err(|e| errors.push(e)).ok();
    let name = rules::display_name(&b.display_name).map_err(|e| errors.push(e)).ok();
    let (Some(email), Some(role), Some(name), true) = (email, role, name, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let hasher = state.hasher;
    let hash = web::block(move || hasher.hash(&b.password)).await?;
    let new = staff::NewStaff {
        email,
        password_hash: hash,
        role,
        display_name: name,
    };
    let account = service::run(&state.pool, move |conn| staff::create(conn, admin.0, new)).await?;
    Ok(HttpResponse::Created().json(AccountOut::try_from(account)?))
}

/// An admin's change to an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountAdminPatch {
    /// `moderator` or `admin` (staff accounts only).
    #[schema(pattern = "^(moderator|admin)$")]
    pub role: Option<String>,
    /// `true` disables the account: its tokens stop working at once.
    pub disabled: Option<bool>,
}

/// Change a staff account's role, or disable/enable any account. A change takes effect at
/// once: the account's existing tokens stop working.
#[utoipa::path(
    operation_id = "admin_update_account",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Account id")),
    request_body = AccountAdminPatch,
    responses(
        (status = 200, body = AccountOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cannot_change_self` or `not_staff`", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/admin/accounts/{id}")]
pub async fn update(
    state: State,
    admin: Admin,
    path: web::Path<String>,
    body: Json<AccountAdminPatch>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let b = body.into_inner()?;
    let role = b
        .role
        .as_deref()
        .map(|r| staff_role("role", r))
        .transpose()
        .map_err(|e| ApiError::validation(vec![e]))?;
    let edit = AccountEdit {
        role,
        disabled: b.disabled,
    };
    let account = service::run(&state.pool, move |conn| staff::update(conn, admin.0, id, edit)).await?;
    Ok(HttpResponse::Ok().json(AccountOut::try_from(account)?))
}

/// Erase a registrant's account for a request received by other means (APPI), as
/// `DELETE /me` does: its activities withdrawn, its private data erased, its tokens revoked;
/// audited (`account_erase`, with the admin as actor).
#[utoipa::path(
    operation_id = "admin_erase_account",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Account id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_a_registrant` or `erasure_incomplete` (try again)", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/accounts/{id}/erase")]
pub async fn erase(state: State, admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let mailer = state.mailer.clone();
    service::run(&state.pool, move |conn| {
        service::erasure::erase(conn, &mailer, &admin.0, id)
    })
    .await?;
    state.public.invalidate();
    Ok(HttpResponse::NoContent().finish())
}
