//! An activity's event sessions as its organizer manages them: create, edit (a raised
//! capacity promotes the waitlist), delete while nobody holds a seat, and cancel (which
//! cancels and mails every applicant). Staff may read them; only the owner changes them.

use crate::db::activities::{self, ActivityRow};
use crate::db::applications::{self, ApplicationRow};
use crate::db::audit::AuditEvent;
use crate::db::events::{self, SessionRow};
use crate::db::{self, generation, now, Conn, DbConn};
use crate::domain::actor::Actor;
use crate::domain::codes::{AuditAction, MailKind};
use crate::domain::event::{build_session, ApplicationStatus, SessionInput};
use crate::domain::page::Cursor;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::service::applications::{facts_of, mail_applicant, promote};
use crate::service::EditError;

/// Sessions per activity: the public view carries them all in every listing item.
pub const MAX_SESSIONS: i64 = 50;

fn no_activity() -> ApiError {
    ApiError::not_found("No such activity.")
}

/// The activity `id` if `caller` may see its sessions (its owner; staff when `write` is
/// false). Any other caller gets the 404 of a missing activity.
pub fn organizer_activity(conn: &mut DbConn, id: &str, caller: &Actor, write: bool) -> ApiResult<ActivityRow> {
    let (row, _) = match activities::find(conn, id) {
        Ok(found) => found,
        Err(db::Error::NotFound) => return Err(no_activity()),
        Err(e) => return Err(e.into()),
    };
    let allowed = row.account_id == caller.id || (!write && caller.role.is_staff());
    if allowed {
        Ok(row)
    } else {
        Err(no_activity())
    }
}

/// The session `sid` of activity `activity_id`, locked for the transaction (404 if the
/// session belongs to another activity).
pub fn session_of(conn: &mut DbConn, activity_id: &str, sid: &str) -> ApiResult<SessionRow> {
    match events::lock(conn, sid)? {
        Some(s) if s.activity_id == activity_id => Ok(s),
        _ => Err(ApiError::not_found("No such session of this activity.")),
    }
}

/// A new public generation for a session write, whatever the activity's status read here:
/// on PostgreSQL an approval committing meanwhile reads no session row, so a write that
/// judged the activity not public would leave the public view without it for good. Session
/// writes are rare; a spare generation costs a cache refill.
fn bump_public(conn: &mut DbConn) -> db::Result<()> {
    generation::bump(conn)
}

fn audit(conn: &mut DbConn, caller: &Actor, activity: &ActivityRow, action: AuditAction, sid: &str) -> db::Result<()> {
    AuditEvent::on_activity(&activity.id, caller, action, Some(format!("session {sid}"))).insert(conn)
}

/// Adds a session to one of the caller's activities.
pub fn create(conn: &mut Conn, caller: Actor, activity_id: String, input: SessionInput) -> ApiResult<SessionRow> {
    let fields = build_session(None, input).map_err(ApiError::validation)?;
    db::transaction(conn, move |conn| {
        let activity = organizer_activity(conn, &activity_id, &caller, true)?;
        if events::count_for(conn, &activity.id)? >= MAX_SESSIONS {
            return Err(ApiError::conflict(
                "too_many_sessions",
                format!("An activity has at most {MAX_SESSIONS} sessions."),
            ));
        }
        let row = SessionRow::new(&activity.id, fields, now());
        events::insert(conn, &row)?;
        audit(conn, &caller, &activity, AuditAction::SessionCreate, &row.id)?;
        bump_public(conn)?;
        Ok(row)
    })
}

/// The sessions of an activity, for its owner or staff.
pub fn list(conn: &mut Conn, caller: Actor, activity_id: String) -> ApiResult<Vec<SessionRow>> {
    let activity = organizer_activity(conn, &activity_id, &caller, false)?;
    Ok(events::for_activity(conn, &activity.id)?)
}

/// Edits a session at `version`. Questions are fixed once anyone has applied; the capacity
/// cannot drop below the confirmed seats, and raising it promotes the waitlist at once.
pub fn update(
    conn: &mut Conn,
    mailer: &Mailer,
    caller: Actor,
    (activity_id, sid): (String, String),
    version: i64,
    input: SessionInput,
) -> Result<SessionRow, EditError<SessionRow>> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let activity = organizer_activity(conn, &activity_id, &caller, true)?;
        let current = session_of(conn, &activity.id, &sid)?;
        if current.version != version {
            return Err(EditError::Stale(Box::new(current)));
        }
        if current.cancelled_at.is_some() {
            return Err(ApiError::conflict("session_cancelled", "A cancelled session cannot change.").into());
        }
        let base = current.fields()?;
        let fields = build_session(Some(&base), input).map_err(ApiError::validation)?;
        if fields.questions != base.questions && applications::any(conn, &sid)? {
            return Err(ApiError::conflict(
                "questions_locked",
                "People have applied with answers to these questions; they cannot change now.",
            )
            .into());
        }
        if fields.capacity.is_some_and(|c| c < current.confirmed_count) {
            return Err(ApiError::conflict(
                "capacity_below_confirmed",
                format!(
                    "{} seats are confirmed; the capacity cannot be lower.",
                    current.confirmed_count
                ),
            )
            .into());
        }
        // A rescheduled session gets its reminder again before the new start.
        let reminded_at = current.reminded_at.filter(|_| fields.starts_at == base.starts_at);
        if !events::update(conn, &sid, version, &fields, reminded_at, now())? {
            let fresh = events::find(conn, &sid)?.ok_or_else(|| ApiError::not_found("No such session."))?;
            return Err(EditError::Stale(Box::new(fresh)));
        }
        promote(conn, &mailer, &sid)?;
        audit(conn, &caller, &activity, AuditAction::SessionUpdate, &sid)?;
        bump_public(conn)?;
        let row = events::find(conn, &sid)?.ok_or_else(|| ApiError::not_found("No such session."))?;
        Ok(row)
    })
}

/// Deletes a session nobody holds a seat in or waits for (409 `session_has_applicants`:
/// cancel it instead).
pub fn delete(conn: &mut Conn, caller: Actor, activity_id: String, sid: String) -> ApiResult<()> {
    db::transaction(conn, move |conn| {
        let activity = organizer_activity(conn, &activity_id, &caller, true)?;
        let session = session_of(conn, &activity.id, &sid)?;
        if session.confirmed_count + session.waitlisted_count > 0 {
            return Err(ApiError::conflict(
                "session_has_applicants",
                "People hold seats in this session or wait for one: cancel it instead, which tells them.",
            ));
        }
        events::delete(conn, &session)?;
        audit(conn, &caller, &activity, AuditAction::SessionDelete, &sid)?;
        bump_public(conn)?;
        Ok(())
    })
}

/// Cancels a session: every live application is cancelled and every confirmed or
/// waitlisted applicant mailed, in one transaction.
pub fn cancel(
    conn: &mut Conn,
    mailer: &Mailer,
    caller: Actor,
    activity_id: String,
    sid: String,
) -> ApiResult<SessionRow> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let activity = organizer_activity(conn, &activity_id, &caller, true)?;
        let session = session_of(conn, &activity.id, &sid)?;
        if session.cancelled_at.is_some() {
            return Err(ApiError::conflict(
                "session_cancelled",
                "This session is already cancelled.",
            ));
        }
        let at = now();
        let told = applications::seated(conn, &sid)?;
        applications::cancel_all(conn, &sid, at)?;
        events::cancel(conn, &sid, at)?;
        let facts = facts_of(&session, &activity)?;
        for a in &told {
            mail_applicant(conn, &mailer, &facts, a, MailKind::SessionCancelled, None)?;
        }
        audit(conn, &caller, &activity, AuditAction::SessionCancel, &sid)?;
        bump_public(conn)?;
        events::find(conn, &sid)?.ok_or_else(|| ApiError::not_found("No such session."))
    })
}

/// The session `sid` of activity `activity_id`, if `caller` may read its applications.
fn readable_session(conn: &mut DbConn, caller: &Actor, activity_id: &str, sid: &str) -> ApiResult<SessionRow> {
    let activity = organizer_activity(conn, activity_id, caller, false)?;
    match events::find(conn, sid)? {
        Some(s) if s.activity_id == activity.id => Ok(s),
        _ => Err(ApiError::not_found("No such session of this activity.")),
    }
}

/// A page of a session's applications for its organizer or staff (one row more than
/// `limit` when there are more).
pub fn applications(
    conn: &mut Conn,
    caller: Actor,
    (activity_id, sid): (String, String),
    status: Option<ApplicationStatus>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<ApplicationRow>> {
    readable_session(conn, &caller, &activity_id, &sid)?;
    Ok(applications::list(conn, &sid, status, cursor, limit)?)
}

/// Every application to a session, in the order they arrived, with the session's questions
/// (for the CSV), read a page at a time.
pub fn all_applications(
    conn: &mut Conn,
    caller: Actor,
    (activity_id, sid): (String, String),
) -> ApiResult<(Vec<String>, Vec<ApplicationRow>)> {
    const PAGE: i64 = 1000;
    let session = readable_session(conn, &caller, &activity_id, &sid)?;
    let (mut all, mut cursor) = (Vec::new(), None);
    loop {
        let mut rows = applications::list(conn, &sid, None, cursor.as_ref(), PAGE)?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        cursor = rows.last().map(|a| Cursor {
            at: a.created_at,
            id: a.id.clone(),
        });
        all.extend(rows);
        if !more {
            return Ok((session.questions()?, all));
        }
    }
}
