//! Refresh tokens: opaque random strings, stored only as SHA-256 hashes, rotated on every
//! use. Presenting a spent token revokes its whole family (the chain of one sign-in).

use super::schema::refresh_tokens;
use super::Result;
use super::{new_id, now, DbConn};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewToken<'a> {
    id: &'a str,
    account_id: &'a str,
    family_id: &'a str,
    token_hash: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Issues a token in `family` (a new family when `None`); returns the plain token.
pub fn issue(conn: &mut DbConn, account_id: &str, family: Option<&str>, ttl: Duration) -> Result<String> {
    let token = random_token();
    let id = new_id();
    let at = now();
    diesel::insert_into(refresh_tokens::table)
        .values(&NewToken {
            id: &id,
            account_id,
            family_id: family.unwrap_or(&id),
            token_hash: &hash(&token),
            created_at: at,
            expires_at: at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(30)),
        })
        .execute(conn)?;
    Ok(token)
}

/// The result of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: here is its successor, for this account.
    Rotated { account_id: String, token: String },
    /// The token had been spent or revoked: its family is now revoked.
    Reused,
    /// Unknown or expired.
    Invalid,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct TokenRow {
    id: String,
    account_id: String,
    family_id: String,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// Spends `token` and issues its successor, or detects reuse. Runs in one transaction;
/// a reuse commits the family's revocation.
pub fn rotate(conn: &mut super::Conn, token: &str, ttl: Duration) -> Result<Rotation> {
    let token_hash = hash(token);
    super::transaction(conn, move |conn| {
        let row: Option<TokenRow> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select(TokenRow::as_select())
            .first(conn)
            .optional()?;
        let Some(row) = row else { return Ok(Rotation::Invalid) };
        let at = now();
        if row.used_at.is_some() || row.revoked_at.is_some() {
            revoke_family(conn, &row.family_id)?;
            return Ok(Rotation::Reused);
        }
        if row.expires_at <= at {
            return Ok(Rotation::Invalid);
        }
        // Spend it only if nobody else did in between; otherwise it is a reuse.
        let spent = diesel::update(
            refresh_tokens::table
                .find(&row.id)
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(at))
        .execute(conn)?;
        if spent == 0 {
            revoke_family(conn, &row.family_id)?;
            return Ok(Rotation::Reused);
        }
        let token = issue(conn, &row.account_id, Some(&row.family_id), ttl)?;
        Ok(Rotation::Rotated {
            account_id: row.account_id,
            token,
        })
    })
}

fn revoke_family(conn: &mut DbConn, family: &str) -> Result<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Revokes the family of `token` (sign-out); unknown tokens are ignored.
pub fn revoke(conn: &mut DbConn, token: &str) -> Result<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family)?;
    }
    Ok(())
}

/// Revokes every refresh token of an account.
pub fn revoke_all(conn: &mut DbConn, account_id: &str) -> Result<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::account_id.eq(account_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}
