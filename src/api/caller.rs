//! Who is calling: the extractors that a handler's signature uses to say who may call it.
//! A caller's access token is checked, and its account read, before the handler runs.

pub use crate::domain::actor::Actor as CurrentUser;
pub use crate::domain::codes::Role;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::service::{self, accounts};
use crate::state::State;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// A caller with a valid access token whose account is enabled and whose token version and
/// role still match the account.
impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<State>().cloned();
        let header = req.headers().get(AUTHORIZATION).map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = match header {
                None => {
                    return Err(ApiError::unauthorized(
                        "Sign in: send `Authorization: Bearer <access_token>`.",
                    ))
                }
                Some(Err(_)) => return Err(invalid_token()),
                Some(Ok(value)) => bearer(&value).ok_or_else(invalid_token)?,
            };
            let claims = state.jwt.verify(&token).ok_or_else(invalid_token)?;
            let role = Role::parse(&claims.role).ok_or_else(invalid_token)?;
            let account = service::run(&state.pool, move |conn| accounts::auth_view(conn, &claims.sub)).await?;
            match account {
                Some(a) if a.disabled_at.is_none() && a.token_version == claims.tv && a.role == role => {
                    Ok(CurrentUser {
                        kind: a.kind()?,
                        id: a.id,
                        role,
                        display_name: a.display_name,
                        industry: a.industry,
                        email_verified: a.email_verified_at.is_some(),
                    })
                }
                _ => Err(invalid_token()),
            }
        })
    }
}

fn bearer(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized("The access token is invalid, expired or revoked; sign in again.")
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $allowed:expr, $denied:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let user = CurrentUser::from_request(req, payload);
                Box::pin(async move {
                    let user = user.await?;
                    let allowed: fn(Role) -> bool = $allowed;
                    if allowed(user.role) {
                        Ok($name(user))
                    } else {
                        Err(ApiError::forbidden($denied))
                    }
                })
            }
        }
    };
}

role_extractor!(
    /// A registrant (organization or individual) acting on its own data.
    Registrant,
    |r| r == Role::Registrant,
    "Only registrant accounts manage activities."
);
role_extractor!(
    /// A moderator or an admin, working the approval queue.
    Moderator,
    Role::is_staff,
    "This needs a moderator or admin account."
);
role_extractor!(
    /// An admin, managing accounts, campaigns and the audit log.
    Admin,
    |r| r == Role::Admin,
    "This needs an admin account."
);

/// Counts an attempt for the client address: the TCP peer, or behind `TRUSTED_PROXIES` the
/// client their `X-Forwarded-For` names (see [`crate::client_addr`]).
pub fn rate_limit(state: &State, req: &HttpRequest) -> ApiResult<()> {
    let forwarded = req.headers().get_all("x-forwarded-for");
    // A value that is not visible ASCII reads as "", which is malformed like any non-address.
    let forwarded: Vec<&str> = forwarded.map(|v| v.to_str().unwrap_or("")).collect();
    let addr = req
        .peer_addr()
        .map(|peer| state.config.trusted_proxies.client(peer.ip(), forwarded));
    state.auth_limiter.check(addr).map_err(ApiError::rate_limited)
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn bearer_header_is_parsed_strictly() {
        assert_eq!(bearer("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(bearer("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer   "), None);
    }
}
