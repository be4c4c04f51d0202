//! The `applications` table and the tokens of applicants' mails: 32 random bytes, stored
//! only as their SHA-256 hash. A confirmation token is single use and lives 48 hours; the
//! manage tokens of every mail about an application work until it is cancelled.

use super::schema::{application_tokens, applications};
use super::tokens::{hash, random_token};
use super::{DbConn, Error, Result};
use crate::domain::event::{ApplicationStatus, ApplicationTokenPurpose};
use crate::domain::page::Cursor;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: String,
    pub session_id: String,
    pub name: String,
    /// Normalized (see `domain::event::applicant_email`).
    pub email: String,
    pub organization: Option<String>,
    /// A JSON array of strings, one per question of the session.
    pub answers: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: ApplicationStatus,
    pub created_at: NaiveDateTime,
    /// When the address was confirmed: the waitlist's order.
    pub confirmed_at: Option<NaiveDateTime>,
    pub promoted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl ApplicationRow {
    pub fn answers(&self) -> Result<Vec<String>> {
        serde_json::from_str(&self.answers).map_err(|e| Error::Corrupt(format!("application {} answers: {e}", self.id)))
    }
}

pub fn insert(conn: &mut DbConn, row: &ApplicationRow) -> Result<()> {
    diesel::insert_into(applications::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<ApplicationRow>> {
    Ok(applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?)
}

const LIVE: [&str; 3] = ["pending", "confirmed", "waitlisted"];

/// The live application of `email` to the session, after marking a pending one whose link
/// ran out (created before `stale_before`) expired.
pub fn live(
    conn: &mut DbConn,
    session_id: &str,
    email: &str,
    stale_before: NaiveDateTime,
) -> Result<Option<ApplicationRow>> {
    diesel::update(
        applications::table
            .filter(applications::session_id.eq(session_id))
            .filter(applications::email.eq(email))
            .filter(applications::status.eq(ApplicationStatus::Pending.as_str()))
            .filter(applications::created_at.lt(stale_before)),
    )
    .set(applications::status.eq(ApplicationStatus::Expired.as_str()))
    .execute(conn)?;
    Ok(applications::table
        .filter(applications::session_id.eq(session_id))
        .filter(applications::email.eq(email))
        .filter(applications::status.eq_any(LIVE))
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Moves an application from `from` to `to` at `at`; `false` if it was not at `from`.
pub fn set_status(
    conn: &mut DbConn,
    id: &str,
    from: ApplicationStatus,
    to: ApplicationStatus,
    at: NaiveDateTime,
) -> Result<bool> {
    let target = applications::table
        .find(id)
        .filter(applications::status.eq(from.as_str()));
    let n = match (from, to) {
        (ApplicationStatus::Pending, _) => diesel::update(target)
            .set((
                applications::status.eq(to.as_str()),
                applications::confirmed_at.eq(Some(at)),
                applications::updated_at.eq(at),
            ))
            .execute(conn)?,
        (ApplicationStatus::Waitlisted, ApplicationStatus::Confirmed) => diesel::update(target)
            .set((
                applications::status.eq(to.as_str()),
                applications::promoted_at.eq(Some(at)),
                applications::updated_at.eq(at),
            ))
            .execute(conn)?,
        (_, ApplicationStatus::Cancelled) => diesel::update(target)
            .set((
                applications::status.eq(to.as_str()),
                applications::cancelled_at.eq(Some(at)),
                applications::updated_at.eq(at),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((applications::status.eq(to.as_str()), applications::updated_at.eq(at)))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The waitlisted application that confirmed first.
pub fn first_waitlisted(conn: &mut DbConn, session_id: &str) -> Result<Option<ApplicationRow>> {
    Ok(applications::table
        .filter(applications::session_id.eq(session_id))
        .filter(applications::status.eq(ApplicationStatus::Waitlisted.as_str()))
        .order((applications::confirmed_at, applications::id))
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?)
}

/// A session's applications in the order they arrived, from `cursor` on (one row more than
/// `limit` when there are more), optionally of one status.
pub fn list(
    conn: &mut DbConn,
    session_id: &str,
    status: Option<ApplicationStatus>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<ApplicationRow>> {
    let mut q = applications::table
        .filter(applications::session_id.eq(session_id))
        .select(ApplicationRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(applications::status.eq(s.as_str()));
    }
    if let Some(c) = cursor {
        q = q.filter(
            applications::created_at
                .gt(c.at)
                .or(applications::created_at.eq(c.at).and(applications::id.gt(c.id.clone()))),
        );
    }
    Ok(q.order((applications::created_at, applications::id))
        .limit(limit + 1)
        .load(conn)?)
}

/// A session's confirmed and waitlisted applications.
pub fn seated(conn: &mut DbConn, session_id: &str) -> Result<Vec<ApplicationRow>> {
    Ok(applications::table
        .filter(applications::session_id.eq(session_id))
        .filter(applications::status.eq_any([
            ApplicationStatus::Confirmed.as_str(),
            ApplicationStatus::Waitlisted.as_str(),
        ]))
        .order((applications::confirmed_at, applications::id))
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

/// Cancels every live application of a session at `at`.
pub fn cancel_all(conn: &mut DbConn, session_id: &str, at: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        applications::table
            .filter(applications::session_id.eq(session_id))
            .filter(applications::status.eq_any(LIVE)),
    )
    .set((
        applications::status.eq(ApplicationStatus::Cancelled.as_str()),
        applications::cancelled_at.eq(Some(at)),
        applications::updated_at.eq(at),
    ))
    .execute(conn)?)
}

/// Whether the session has ever had an application.
pub fn any(conn: &mut DbConn, session_id: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        applications::table.filter(applications::session_id.eq(session_id)),
    ))
    .get_result(conn)?)
}

/// Issues a token for the application; returns the plain token (for the mail only).
pub fn issue_token(
    conn: &mut DbConn,
    application_id: &str,
    purpose: ApplicationTokenPurpose,
    at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
) -> Result<String> {
    let token = random_token();
    diesel::insert_into(application_tokens::table)
        .values((
            application_tokens::token_hash.eq(hash(&token)),
            application_tokens::application_id.eq(application_id),
            application_tokens::purpose.eq(purpose.as_str()),
            application_tokens::created_at.eq(at),
            application_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The application of a live token for `purpose` (unknown, expired and used ones: `None`).
pub fn token_holder(
    conn: &mut DbConn,
    token: &str,
    purpose: ApplicationTokenPurpose,
    at: NaiveDateTime,
) -> Result<Option<String>> {
    Ok(application_tokens::table
        .find(hash(token))
        .filter(application_tokens::purpose.eq(purpose.as_str()))
        .filter(application_tokens::used_at.is_null())
        .filter(
            application_tokens::expires_at
                .is_null()
                .or(application_tokens::expires_at.gt(at)),
        )
        .select(application_tokens::application_id)
        .first(conn)
        .optional()?)
}

/// Spends every token of the application for `purpose`.
pub fn spend_tokens(
    conn: &mut DbConn,
    application_id: &str,
    purpose: ApplicationTokenPurpose,
    at: NaiveDateTime,
) -> Result<()> {
    diesel::update(
        application_tokens::table
            .filter(application_tokens::application_id.eq(application_id))
            .filter(application_tokens::purpose.eq(purpose.as_str()))
            .filter(application_tokens::used_at.is_null()),
    )
    .set(application_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}
