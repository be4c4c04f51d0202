//! Sign-ups and sessions: registration, sign-in, refresh-token rotation and sign-out.

use crate::db::accounts::{self, AccountRow, NewAccount};
use crate::db::tokens::{self, Rotation};
use crate::db::{self, new_id, Conn};
use crate::domain::account::Profile;
use crate::domain::codes::{Kind, Role};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::verification;
use std::time::Duration;

/// A signed-in account and the refresh token of its new sign-in.
pub struct Session {
    pub account: AccountRow,
    pub refresh_token: String,
}

/// A validated registration; `password_hash` is already hashed.
pub struct Registration {
    pub email: String,
    pub password_hash: String,
    pub kind: Kind,
    pub display_name: String,
    pub profile: Profile,
}

/// Creates a registrant account and signs it in. The account, its verification mail and its
/// refresh token commit together.
pub fn register(conn: &mut Conn, mailer: &Mailer, ttl: Duration, r: Registration) -> ApiResult<Session> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let id = new_id();
        let new = NewAccount::new(
            &id,
            &r.email,
            &r.password_hash,
            Role::Registrant,
            Some(r.kind),
            &r.display_name,
            &r.profile,
        );
        accounts::insert(conn, &new)?;
        verification::send(conn, &mailer, &id, &r.display_name, &r.email, false)?;
        let refresh_token = tokens::issue(conn, &id, None, ttl)?;
        Ok(Session {
            account: accounts::find(conn, &id)?,
            refresh_token,
        })
    })
}

/// The account a sign-in names, if any (its password is checked by the caller, off the
/// database thread).
pub fn find_by_email(conn: &mut Conn, email: &str) -> ApiResult<Option<AccountRow>> {
    Ok(accounts::find_by_email(conn, email)?)
}

/// Starts a sign-in for an account whose password was checked: 403 `account_disabled` for a
/// disabled account.
pub fn sign_in(conn: &mut Conn, account: AccountRow, ttl: Duration) -> ApiResult<Session> {
    if account.disabled_at.is_some() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "account_disabled",
            "This account is disabled; contact the registry's administrators.",
        ));
    }
    let id = account.id.clone();
    let refresh_token = db::transaction(conn, move |conn| tokens::issue(conn, &id, None, ttl))?;
    Ok(Session { account, refresh_token })
}

/// Rotates a refresh token. A token used twice revokes its whole sign-in; a disabled
/// account loses every token.
pub fn refresh(conn: &mut Conn, token: &str, ttl: Duration) -> ApiResult<Session> {
    match tokens::rotate(conn, token, ttl)? {
        Rotation::Rotated { account_id, token } => {
            let account = accounts::find(conn, &account_id)?;
            if account.disabled_at.is_some() {
                db::transaction(conn, move |conn| tokens::revoke_all(conn, &account_id))?;
                return Err(ApiError::unauthorized("This account is disabled."));
            }
            Ok(Session {
                account,
                refresh_token: token,
            })
        }
        Rotation::Reused => Err(ApiError::unauthorized(
            "This refresh token was already used; every token of this sign-in is now revoked. Sign in again.",
        )),
        Rotation::Invalid => Err(ApiError::unauthorized(
            "The refresh token is unknown or expired; sign in again.",
        )),
    }
}

/// Ends the sign-in a refresh token belongs to.
pub fn sign_out(conn: &mut Conn, token: String) -> ApiResult<()> {
    Ok(db::transaction(conn, move |conn| tokens::revoke(conn, &token))?)
}
