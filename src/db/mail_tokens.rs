//! Tokens that travel by mail (email verification, password reset): 32 random bytes, stored
//! only as their SHA-256 hash, single use, with a lifetime. Issuing one voids the account's
//! earlier unused tokens of the same purpose, so only the newest mail works.

use super::schema::mail_tokens;
use super::tokens::{hash, random_token};
use super::{new_id, DbConn, Result};
use crate::domain::codes::TokenPurpose;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = mail_tokens)]
struct NewToken<'a> {
    id: &'a str,
    account_id: &'a str,
    purpose: &'a str,
    email: &'a str,
    token_hash: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Issues a token for `purpose` about `email`, valid until `expires_at`, and voids the
/// account's older unused ones of that purpose. Returns the plain token (for the mail only).
pub fn issue(
    conn: &mut DbConn,
    account_id: &str,
    purpose: TokenPurpose,
    email: &str,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<String> {
    void_all(conn, account_id, purpose, at)?;
    let token = random_token();
    diesel::insert_into(mail_tokens::table)
        .values(&NewToken {
            id: &new_id(),
            account_id,
            purpose: purpose.as_str(),
            email,
            token_hash: &hash(&token),
            created_at: at,
            expires_at,
        })
        .execute(conn)?;
    Ok(token)
}

/// Marks every unused token of the account for `purpose` as used (a newer token, a password
/// change or a completed reset makes them worthless).
pub fn void_all(conn: &mut DbConn, account_id: &str, purpose: TokenPurpose, at: NaiveDateTime) -> Result<()> {
    diesel::update(
        mail_tokens::table
            .filter(mail_tokens::account_id.eq(account_id))
            .filter(mail_tokens::purpose.eq(purpose.as_str()))
            .filter(mail_tokens::used_at.is_null()),
    )
    .set(mail_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// A token that was live and is now spent.
#[derive(Debug, PartialEq, Eq)]
pub struct Spent {
    pub account_id: String,
    /// The address the mail went to.
    pub email: String,
}

/// Spends `token` if it is a live token for `purpose`: unknown, expired, used and voided
/// tokens are all `None`. Of two concurrent uses exactly one spends it.
pub fn spend(conn: &mut DbConn, token: &str, purpose: TokenPurpose, at: NaiveDateTime) -> Result<Option<Spent>> {
    let row: Option<(String, String, String)> = mail_tokens::table
        .filter(mail_tokens::token_hash.eq(hash(token)))
        .filter(mail_tokens::purpose.eq(purpose.as_str()))
        .filter(mail_tokens::used_at.is_null())
        .filter(mail_tokens::expires_at.gt(at))
        .select((mail_tokens::id, mail_tokens::account_id, mail_tokens::email))
        .first(conn)
        .optional()?;
    let Some((id, account_id, email)) = row else {
        return Ok(None);
    };
    let n = diesel::update(mail_tokens::table.find(&id).filter(mail_tokens::used_at.is_null()))
        .set(mail_tokens::used_at.eq(Some(at)))
        .execute(conn)?;
    Ok((n == 1).then_some(Spent { account_id, email }))
}
