//! Email verification: a mailed single-use link at registration and for a new address.
//! An address change keeps the old address in force until the new one is confirmed.

use crate::db::accounts::{self, AccountChanges, AccountRow};
use crate::db::audit::AuditEvent;
use crate::db::{self, mail_tokens, now, Conn, DbConn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, TokenPurpose};
use crate::error::{ApiError, ApiResult};
use crate::mail::{compose, Mailer, VERIFY_TTL_HOURS};

/// The answer to a mailed token that is unknown, expired, used or replaced by a newer one.
pub fn invalid_token() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "This link is unknown, expired or already used; ask for a new one.",
    )
}

/// Issues a verification token for `email` and writes its mail, in the caller's transaction.
pub fn send(
    conn: &mut DbConn,
    mailer: &Mailer,
    account_id: &str,
    name: &str,
    email: &str,
    change: bool,
) -> db::Result<()> {
    let at = now();
    let expires = at + chrono::Duration::hours(VERIFY_TTL_HOURS);
    let token = mail_tokens::issue(conn, account_id, TokenPurpose::VerifyEmail, email, at, expires)?;
    let link = mailer.verify_link(&token);
    mailer.enqueue(
        conn,
        compose::verify_email(email, name, &link, VERIFY_TTL_HOURS, change).map(|m| m.to_account(account_id)),
    )?;
    Ok(())
}

/// The account acting on itself, for its audit events.
pub fn self_actor(a: &AccountRow) -> ApiResult<Actor> {
    Ok(Actor {
        id: a.id.clone(),
        role: a.role,
        kind: a.kind()?,
        display_name: a.display_name.clone(),
        industry: a.industry.clone(),
        email_verified: a.email_verified_at.is_some(),
    })
}

/// Spends a verification token: confirms the account's address, or makes the pending new
/// address the account's (409 `email_taken` if another account took it meanwhile).
pub fn verify(conn: &mut Conn, token: String) -> ApiResult<()> {
    db::transaction(conn, move |conn| {
        let at = now();
        let spent = mail_tokens::spend(conn, &token, TokenPurpose::VerifyEmail, at)?.ok_or_else(invalid_token)?;
        let account = accounts::find(conn, &spent.account_id)?;
        if account.disabled_at.is_some() {
            return Err(invalid_token());
        }
        if account.pending_email.as_deref() == Some(spent.email.as_str()) {
            let changes = AccountChanges {
                email: Some(spent.email),
                pending_email: Some(None),
                email_verified_at: Some(Some(at)),
                ..Default::default()
            };
            accounts::update(conn, &account.id, changes, false)?;
            AuditEvent::account(&account.id, &self_actor(&account)?, AuditAction::EmailChange, None).insert(conn)?;
            Ok(())
        } else if account.email == spent.email {
            if account.email_verified_at.is_none() {
                let changes = AccountChanges {
                    email_verified_at: Some(Some(at)),
                    ..Default::default()
                };
                accounts::update(conn, &account.id, changes, false)?;
            }
            Ok(())
        } else {
            // The address the link was for is no longer the account's, nor pending.
            Err(invalid_token())
        }
    })
}

/// Sends the verification mail again: to the pending new address, or to the unverified one.
pub fn resend(conn: &mut Conn, mailer: &Mailer, account_id: String) -> ApiResult<()> {
    let account = accounts::find(conn, &account_id)?;
    let (email, change) = match (&account.pending_email, account.email_verified_at) {
        (Some(pending), _) => (pending.clone(), true),
        (None, None) => (account.email.clone(), false),
        (None, Some(_)) => {
            return Err(ApiError::conflict(
                "already_verified",
                "This account's email address is verified and no change is pending.",
            ))
        }
    };
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        Ok(send(conn, &mailer, &account.id, &account.display_name, &email, change)?)
    })
}
