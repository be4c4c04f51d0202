//! Idempotency keys: which requests with a key have run, and what they answered.

use super::schema::idempotency_keys as keys;
use super::{DbConn, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;

const RUNNING: &str = "running";
const DONE: &str = "done";

/// What a key says about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Begun {
    /// New (or its earlier run was abandoned): run the request.
    Run,
    /// The same key came with another request.
    Reused,
    /// A request with this key is running.
    InProgress,
    /// It ran; here is its stored answer.
    Done(String),
}

/// Records that `account_id` starts a request under `key` with body hash `hash`, unless the
/// key is known. An expired key is forgotten first; a run started before `stale_before`
/// that never finished counts as abandoned. Call it in a transaction.
pub fn begin(
    conn: &mut DbConn,
    account_id: &str,
    key: &str,
    hash: &str,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> Result<Begun> {
    // Answers hold moderators' views (owners' contact data): none outlives its 24 hours.
    diesel::delete(keys::table.filter(keys::expires_at.le(at))).execute(conn)?;
    let this = keys::table
        .filter(keys::account_id.eq(account_id))
        .filter(keys::idempotency_key.eq(key));
    let found: Option<(String, String, Option<String>, NaiveDateTime)> = this
        .select((keys::request_hash, keys::state, keys::response, keys::created_at))
        .first(conn)
        .optional()?;
    match found {
        Some((h, _, _, _)) if h != hash => Ok(Begun::Reused),
        Some((_, state, Some(response), _)) if state == DONE => Ok(Begun::Done(response)),
        Some((_, _, _, started)) if started > stale_before => Ok(Begun::InProgress),
        Some(_) => {
            // Taken over once: a concurrent retry that read the same stale run finds it fresh.
            let n = diesel::update(this.filter(keys::created_at.le(stale_before)))
                .set((keys::created_at.eq(at), keys::expires_at.eq(expires_at)))
                .execute(conn)?;
            Ok(if n == 1 { Begun::Run } else { Begun::InProgress })
        }
        // On PostgreSQL a concurrent request may insert it first: then this fails with
        // `Error::Duplicate`, which the caller takes as "in progress".
        None => {
            diesel::insert_into(keys::table)
                .values((
                    keys::account_id.eq(account_id),
                    keys::idempotency_key.eq(key),
                    keys::request_hash.eq(hash),
                    keys::state.eq(RUNNING),
                    keys::created_at.eq(at),
                    keys::expires_at.eq(expires_at),
                ))
                .execute(conn)?;
            Ok(Begun::Run)
        }
    }
}

/// Stores a finished request's answer.
pub fn finish(conn: &mut DbConn, account_id: &str, key: &str, response: &str) -> Result<()> {
    diesel::update(
        keys::table
            .filter(keys::account_id.eq(account_id))
            .filter(keys::idempotency_key.eq(key)),
    )
    .set((keys::state.eq(DONE), keys::response.eq(Some(response))))
    .execute(conn)?;
    Ok(())
}

/// Forgets a key whose request failed as a whole, so that it may be sent again.
pub fn abandon(conn: &mut DbConn, account_id: &str, key: &str) -> Result<()> {
    diesel::delete(
        keys::table
            .filter(keys::account_id.eq(account_id))
            .filter(keys::idempotency_key.eq(key))
            .filter(keys::state.eq(RUNNING)),
    )
    .execute(conn)?;
    Ok(())
}
