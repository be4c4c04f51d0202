//! Account recovery: a mailed single-use link (30 minutes) to set a new password. Asking for
//! one tells nothing about whether the address has an account.

use crate::db::accounts::{self, AccountChanges};
use crate::db::audit::AuditEvent;
use crate::db::{self, mail_tokens, now, tokens, Conn};
use crate::domain::codes::{AuditAction, TokenPurpose};
use crate::error::ApiResult;
use crate::mail::{compose, Mailer, RESET_TTL_MINUTES};
use crate::service::verification::{invalid_token, self_actor};

/// Writes a reset mail for the account with `email`, if there is an enabled one; otherwise
/// does nothing. The token and its mail commit together, and void the account's older links.
pub fn request(conn: &mut Conn, mailer: &Mailer, email: String) -> ApiResult<()> {
    let Some(account) = accounts::find_by_email(conn, &email)? else {
        return Ok(());
    };
    if account.disabled_at.is_some() {
        return Ok(());
    }
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let at = now();
        let expires = at + chrono::Duration::minutes(RESET_TTL_MINUTES);
        let token = mail_tokens::issue(
            conn,
            &account.id,
            TokenPurpose::PasswordReset,
            &account.email,
            at,
            expires,
        )?;
        let link = mailer.reset_link(&token);
        mailer.enqueue(
            conn,
            compose::password_reset(&account.email, &account.display_name, &link, RESET_TTL_MINUTES)
                .map(|m| m.to_account(&account.id)),
        )?;
        Ok(())
    })
}

/// Spends a reset token and sets the password (already hashed): every access and refresh
/// token of the account stops working, and every other reset link with them. Having the
/// mail proves the address, so an unverified one counts as verified from now.
pub fn confirm(conn: &mut Conn, token: String, password_hash: String) -> ApiResult<()> {
    db::transaction(conn, move |conn| {
        let at = now();
        let spent = mail_tokens::spend(conn, &token, TokenPurpose::PasswordReset, at)?.ok_or_else(invalid_token)?;
        let account = accounts::find(conn, &spent.account_id)?;
        if account.disabled_at.is_some() || account.email != spent.email {
            return Err(invalid_token());
        }
        let changes = AccountChanges {
            password_hash: Some(password_hash),
            email_verified_at: account.email_verified_at.is_none().then_some(Some(at)),
            ..Default::default()
        };
        accounts::update(conn, &account.id, changes, true)?;
        tokens::revoke_all(conn, &account.id)?;
        mail_tokens::void_all(conn, &account.id, TokenPurpose::PasswordReset, at)?;
        AuditEvent::account(&account.id, &self_actor(&account)?, AuditAction::PasswordReset, None).insert(conn)?;
        Ok(())
    })
}
