//! Registration, sign-in and token rotation.

use crate::api::account::{AccountOut, RegisterProfile};
use crate::api::caller::rate_limit;
use crate::api::extract::Json;
use crate::domain::account::{self as rules, Profile};
use crate::domain::codes::Kind;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::{self, sessions, sessions::Registration, sessions::Session};
use crate::state::State;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new registrant account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = Email)]
    pub email: String,
    /// 10–128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    /// `organization` or `individual`.
    #[schema(value_type = Kind)]
    pub kind: String,
    /// The public name: company name or an individual's chosen name (1–100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    /// Organizations only: the registered legal name.
    #[schema(max_length = 200)]
    pub legal_name: Option<String>,
    /// Organizations only: the reading of the name in kana.
    #[schema(max_length = 200)]
    pub name_kana: Option<String>,
    /// Organizations only: JSIC major division letter A–T.
    #[schema(pattern = "^[A-T]$")]
    pub industry: Option<String>,
    /// JIS X 0401 code "01"–"47".
    #[schema(pattern = "^(0[1-9]|[1-3][0-9]|4[0-7])$")]
    pub prefecture: Option<String>,
    /// Organizations only: `1-9`, `10-49`, `50-99`, `100-299`, `300-999` or `1000+`.
    pub employee_band: Option<String>,
    /// An http or https URL.
    pub website: Option<String>,
    /// Organizations only: 法人番号, 13 digits with a valid check digit; one account per number.
    #[schema(pattern = "^[0-9]{13}$")]
    pub corporate_number: Option<String>,
    /// Private: shown to moderators only.
    #[schema(max_length = 100)]
    pub contact_name: Option<String>,
    /// Private: shown to moderators only.
    pub phone: Option<String>,
}

impl RegisterRequest {
    fn profile(&mut self) -> RegisterProfile {
        RegisterProfile {
            legal_name: self.legal_name.take(),
            name_kana: self.name_kana.take(),
            industry: self.industry.take(),
            prefecture: self.prefecture.take(),
            employee_band: self.employee_band.take(),
            website: self.website.take(),
            corporate_number: self.corporate_number.take(),
            contact_name: self.contact_name.take(),
            phone: self.phone.take(),
        }
    }
}

/// Tokens for a signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// An opaque token for `/auth/refresh`; rotated on every use.
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub account: AccountOut,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn token_pair(state: &State, session: &Session) -> TokenPair {
    let a = &session.account;
    TokenPair {
        access_token: state.jwt.issue(&a.id, a.role.as_str(), a.token_version),
        token_type: "Bearer",
        expires_in: state.jwt.ttl_secs(),
        refresh_token: session.refresh_token.clone(),
    }
}

/// Register an organization or individual account; returns it with tokens. A verification
/// mail goes to the address; until it is confirmed the account may sign in and write drafts,
/// but not submit them (when the registry requires verified addresses).
#[utoipa::path(
    operation_id = "auth_register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Registered),
        (status = 409, description = "`email_taken` or `corporate_number_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/register")]
pub async fn register(state: State, req: HttpRequest, body: Json<RegisterRequest>) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let mut body = body.into_inner()?;
    let mut errors: Vec<FieldError> = Vec::new();
    let email = rules::email(&body.email).map_err(|e| errors.push(e)).ok();
    let _ = rules::password("password", &body.password).map_err(|e| errors.push(e));
    let kind = Kind::parse(&body.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "must be organization or individual",
        ));
    }
    let display_name = rules::display_name(&body.display_name).map_err(|e| errors.push(e)).ok();
    let profile = kind.and_then(|kind| {
        rules::build_profile(&Profile::default(), body.profile().into(), kind)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    let (Some(email), Some(display_name), Some(profile), Some(kind), true) =
        (email, display_name, profile, kind, errors.is_empty())
    else {
        return Err(ApiError::validation(errors));
    };
    let hasher = state.hasher;
    let hash = web::block(move || hasher.hash(&body.password)).await?;
    let registration = Registration {
        email,
        password_hash: hash,
        kind,
        display_name,
        profile,
    };
    let (mailer, ttl) = (state.mailer.clone(), state.config.refresh_token_ttl);
    let session = service::run(&state.pool, move |conn| {
        sessions::register(conn, &mailer, ttl, registration)
    })
    .await?;
    let tokens = token_pair(&state, &session);
    Ok(HttpResponse::Created().json(Registered {
        account: session.account.try_into()?,
        tokens,
    }))
}

/// Sign in. An unknown email and a wrong password get the same answer.
#[utoipa::path(
    operation_id = "auth_login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/login")]
pub async fn login(state: State, req: HttpRequest, body: Json<LoginRequest>) -> ApiResult<HttpResponse> {
    rate_limit(&state, &req)?;
    let LoginRequest { email, password } = body.into_inner()?;
    let account = match rules::email(&email) {
        Ok(e) => service::run(&state.pool, move |conn| sessions::find_by_email(conn, &e)).await?,
        Err(_) => None,
    };
    let hasher = state.hasher;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let valid = web::block(move || match stored {
        Some(hash) => hasher.verify(&hash, &password),
        None => {
            hasher.verify_dummy(&password);
            false
        }
    })
    .await?;
    let (Some(account), true) = (account, valid) else {
        return Err(ApiError::invalid_credentials());
    };
    let ttl = state.config.refresh_token_ttl;
    let session = service::run(&state.pool, move |conn| sessions::sign_in(conn, account, ttl)).await?;
    Ok(HttpResponse::Ok().json(token_pair(&state, &session)))
}

/// Exchange a refresh token for new tokens. The old refresh token dies; presenting a dead
/// one revokes every token of that sign-in.
#[utoipa::path(
    operation_id = "auth_refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Unknown, expired, reused or revoked refresh token", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: State, body: Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner()?.refresh_token;
    let ttl = state.config.refresh_token_ttl;
    let session = service::run(&state.pool, move |conn| sessions::refresh(conn, &token, ttl)).await?;
    Ok(HttpResponse::Ok().json(token_pair(&state, &session)))
}

/// Sign out: revoke the refresh token (and its sign-in's other tokens).
#[utoipa::path(
    operation_id = "auth_logout",tag = "auth", request_body = RefreshRequest, responses((status = 204, description = "Revoked")))]
#[post("/auth/logout")]
pub async fn logout(state: State, body: Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner()?.refresh_token;
    service::run(&state.pool, move |conn| sessions::sign_out(conn, token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
