//! Moderators' claims on queued activities. A claim is a row until it expires; an expired
//! row is as good as none and is overwritten by the next claim.

use super::schema::{accounts, claims};
use super::{DbConn, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

/// A live claim, with the holder's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub activity_id: String,
    pub moderator_id: String,
    pub moderator_name: String,
    pub expires_at: NaiveDateTime,
}

/// What a claim attempt found.
#[derive(Debug)]
pub enum Claimed {
    /// The caller holds it now (new, renewed or taken over from an expired claim).
    Held(Claim),
    /// Another moderator holds it.
    Other(Claim),
    /// The caller already holds this many other live claims.
    Limit(i64),
}

const UPSERT_SQLITE: &str = "INSERT INTO claims (activity_id, moderator_id, expires_at, claimed_at) \
     VALUES (?, ?, ?, ?) ON CONFLICT (activity_id) DO UPDATE SET moderator_id = excluded.moderator_id, \
     expires_at = excluded.expires_at, claimed_at = excluded.claimed_at \
     WHERE claims.moderator_id = excluded.moderator_id OR claims.expires_at <= excluded.claimed_at";

const UPSERT_POSTGRES: &str = "INSERT INTO claims (activity_id, moderator_id, expires_at, claimed_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (activity_id) DO UPDATE SET moderator_id = excluded.moderator_id, \
     expires_at = excluded.expires_at, claimed_at = excluded.claimed_at \
     WHERE claims.moderator_id = excluded.moderator_id OR claims.expires_at <= excluded.claimed_at";

/// The live claim on an activity at `at`, if any.
pub fn holder(conn: &mut DbConn, activity_id: &str, at: NaiveDateTime) -> Result<Option<Claim>> {
    Ok(live(conn, &[activity_id], at)?.pop())
}

/// The live claims at `at` among `ids`.
pub fn live(conn: &mut DbConn, ids: &[&str], at: NaiveDateTime) -> Result<Vec<Claim>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = claims::table
        .inner_join(accounts::table)
        .filter(claims::activity_id.eq_any(ids))
        .filter(claims::expires_at.gt(at))
        .select((
            claims::activity_id,
            claims::moderator_id,
            accounts::display_name,
            claims::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity_id, moderator_id, moderator_name, expires_at)| Claim {
            activity_id,
            moderator_id,
            moderator_name,
            expires_at,
        })
        .collect())
}

/// Claims `activity_id` for `moderator_id` until `until`, unless another moderator holds a
/// live claim or the caller holds `max` others. Call it in a transaction: on PostgreSQL the
/// caller's account row is locked first, so one moderator's concurrent claims count right.
pub fn claim(
    conn: &mut DbConn,
    activity_id: &str,
    moderator_id: &str,
    at: NaiveDateTime,
    until: NaiveDateTime,
    max: i64,
) -> Result<Claimed> {
    if let DbConn::Pg(c) = conn {
        accounts::table
            .find(moderator_id)
            .select(accounts::id)
            .for_update()
            .first::<String>(c)?;
    }
    if let Some(current) = holder(conn, activity_id, at)? {
        if current.moderator_id != moderator_id {
            return Ok(Claimed::Other(current));
        }
    }
    let others: i64 = claims::table
        .filter(claims::moderator_id.eq(moderator_id))
        .filter(claims::expires_at.gt(at))
        .filter(claims::activity_id.ne(activity_id))
        .count()
        .get_result(conn)?;
    if others >= max {
        return Ok(Claimed::Limit(others));
    }
    macro_rules! upsert_on {
        ($c:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(activity_id)
                .bind::<Text, _>(moderator_id)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(at)
                .execute($c)
        };
    }
    match conn {
        DbConn::Sqlite(c) => upsert_on!(c, UPSERT_SQLITE),
        DbConn::Pg(c) => upsert_on!(c, UPSERT_POSTGRES),
    }?;
    // Whoever holds it now: on PostgreSQL a concurrent claim may have won the row.
    match holder(conn, activity_id, at)? {
        Some(c) if c.moderator_id == moderator_id => Ok(Claimed::Held(c)),
        Some(c) => Ok(Claimed::Other(c)),
        None => Err(super::Error::Other("a claim just written is not there".into())),
    }
}

/// Ends `moderator_id`'s claim on `activity_id`; false when they held none.
pub fn release(conn: &mut DbConn, activity_id: &str, moderator_id: &str) -> Result<bool> {
    let n = diesel::delete(
        claims::table
            .filter(claims::activity_id.eq(activity_id))
            .filter(claims::moderator_id.eq(moderator_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Drops any claim on an activity that left the queue.
pub fn clear(conn: &mut DbConn, activity_id: &str) -> Result<()> {
    diesel::delete(claims::table.filter(claims::activity_id.eq(activity_id))).execute(conn)?;
    Ok(())
}
