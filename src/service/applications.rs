//! Applications to event sessions, without an account: apply (a mail with a confirmation
//! link), confirm (double opt-in: a seat, the waitlist or 409 `session_full`), show and
//! cancel with the link of any mail (a freed seat goes to the oldest waitlisted applicant in
//! the same transaction). Every change to a session's applications locks its row first.

use crate::db::activities::{self, ActivityRow};
use crate::db::applications::{self, ApplicationRow};
use crate::db::events::{self, SessionRow};
use crate::db::{self, generation, now, Conn, DbConn};
use crate::domain::codes::MailKind;
use crate::domain::event::{
    build_applicant, ApplicationStatus as A, ApplicationTokenPurpose as Purpose, OpenStatus, CONFIRM_TTL_HOURS,
};
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult};
use crate::mail::compose_events::{self, ApplicantMail, SessionFacts};
use crate::mail::Mailer;
use chrono::Duration;

/// What a request to apply holds.
#[derive(Debug, Clone)]
pub struct ApplicationInput {
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
    pub answers: Vec<String>,
}

/// An application with its session and activity, for the applicant's own view.
pub struct Applicant {
    pub application: ApplicationRow,
    pub session: SessionRow,
    pub activity: ActivityRow,
}

fn invalid_token() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "This link is unknown, expired or already used; the latest mail about the application has a working one.",
    )
}

fn no_session() -> ApiError {
    ApiError::not_found("No such session.")
}

/// A session and its activity, if the activity is public; the session row is locked.
fn public_session(conn: &mut DbConn, sid: &str) -> ApiResult<(SessionRow, ActivityRow)> {
    let session = events::lock(conn, sid)?.ok_or_else(no_session)?;
    let (activity, _) = activities::find(conn, &session.activity_id)?;
    if activity.status != Status::Approved {
        return Err(no_session());
    }
    Ok((session, activity))
}

/// 409 for a session that takes no applications now.
fn refuse_closed(status: OpenStatus) -> ApiResult<()> {
    match status {
        OpenStatus::Cancelled => Err(ApiError::conflict(
            "session_cancelled",
            "The organizer cancelled this session.",
        )),
        OpenStatus::Closed => Err(ApiError::conflict(
            "applications_closed",
            "Applications to this session have closed.",
        )),
        OpenStatus::Preopen => Err(ApiError::conflict(
            "applications_not_open",
            "Applications to this session have not opened yet; see applications_open_at.",
        )),
        OpenStatus::Open | OpenStatus::Waitlist | OpenStatus::Full => Ok(()),
    }
}

fn session_full() -> ApiError {
    ApiError::conflict("session_full", "Every seat is taken and this session has no waitlist.")
}

/// What the mails about a session of `activity` say of it, online URL included
/// ([`mail_applicant`] leaves it out of mails to applicants without a seat).
pub fn facts_of(session: &SessionRow, activity: &ActivityRow) -> db::Result<SessionFacts> {
    let fields = session.fields()?;
    Ok(SessionFacts {
        title: activity.title.clone(),
        organizer: activity.organizer_name.clone(),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        format: fields.format,
        venue: fields.venue,
        fee: fields.fee,
        online_url: fields.online_url,
    })
}

/// [`facts_of`], reading the session's activity.
pub fn session_facts(conn: &mut DbConn, session: &SessionRow) -> db::Result<SessionFacts> {
    let (activity, _) = activities::find(conn, &session.activity_id)?;
    facts_of(session, &activity)
}

/// Writes a mail of `kind` about `a` to its applicant. Mails that keep the application live
/// carry a new manage link; only those to a seated applicant carry the online URL.
pub fn mail_applicant(
    conn: &mut DbConn,
    mailer: &Mailer,
    facts: &SessionFacts,
    a: &ApplicationRow,
    kind: MailKind,
    confirm_token: Option<&str>,
) -> db::Result<()> {
    let seated = matches!(
        kind,
        MailKind::ApplicationConfirmed | MailKind::ApplicationPromoted | MailKind::SessionReminder
    );
    let unseated;
    let facts = if seated {
        facts
    } else {
        unseated = SessionFacts {
            online_url: None,
            ..facts.clone()
        };
        &unseated
    };
    let ends = matches!(kind, MailKind::ApplicationCancelled | MailKind::SessionCancelled);
    let manage = if ends {
        None
    } else {
        Some(mailer.application_link(&applications::issue_token(conn, &a.id, Purpose::Manage, now(), None)?))
    };
    let confirm = confirm_token.map(|t| mailer.application_confirm_link(t));
    let mail = compose_events::applicant(&ApplicantMail {
        kind,
        to: &a.email,
        name: &a.name,
        session: facts,
        confirm_link: confirm.as_deref(),
        manage_link: manage.as_deref(),
        status: Some(a.status),
        hours: CONFIRM_TTL_HOURS,
    });
    mailer.enqueue(conn, mail)?;
    Ok(())
}

/// Gives free seats of the session to its waitlist, oldest confirmation first, mailing each
/// promoted applicant, until applications close; call it in the transaction that freed the
/// seats. Returns how many.
pub fn promote(conn: &mut DbConn, mailer: &Mailer, sid: &str) -> db::Result<usize> {
    let mut promoted = 0;
    // Read once, at the first promotion (a cancellation without a waitlist reads nothing).
    let mut facts: Option<SessionFacts> = None;
    loop {
        let Some(session) = events::find(conn, sid)? else {
            return Ok(promoted);
        };
        let at = now();
        if session.cancelled_at.is_some() || session.window().close() <= at || !session.window().seats_left() {
            return Ok(promoted);
        }
        let Some(mut next) = applications::first_waitlisted(conn, sid)? else {
            return Ok(promoted);
        };
        if !events::take_seat(conn, sid)? || !applications::set_status(conn, &next.id, A::Waitlisted, A::Confirmed, at)?
        {
            return Ok(promoted);
        }
        events::count(conn, sid, 0, -1)?;
        next.status = A::Confirmed;
        let told = match facts.take() {
            Some(f) => f,
            None => session_facts(conn, &session)?,
        };
        mail_applicant(conn, mailer, &told, &next, MailKind::ApplicationPromoted, None)?;
        facts = Some(told);
        promoted += 1;
    }
}

/// Takes an application to a public session and mails its confirmation link. A live
/// application of the same address gets a mail saying so instead; the caller answers the
/// same either way. `budget` counts that mail against the address, once the session and
/// the application are known to be good (a refused application costs the address none).
pub fn apply(
    conn: &mut Conn,
    mailer: &Mailer,
    sid: String,
    input: ApplicationInput,
    budget: impl FnOnce(&str) -> ApiResult<()> + Send + 'static,
) -> ApiResult<()> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let (session, activity) = public_session(conn, &sid)?;
        let facts = facts_of(&session, &activity)?;
        let questions = session.questions()?;
        let who = build_applicant(
            &input.name,
            &input.email,
            input.organization.as_deref(),
            &input.answers,
            &questions,
        )
        .map_err(ApiError::validation)?;
        let at = now();
        let window = session.window();
        refuse_closed(window.status(at))?;
        if !window.seats_left() && !window.waitlist {
            return Err(session_full());
        }
        budget(&who.email)?;
        let expires = at + Duration::hours(CONFIRM_TTL_HOURS);
        let stale = at - Duration::hours(CONFIRM_TTL_HOURS);
        if let Some(existing) = applications::live(conn, &sid, &who.email, stale)? {
            let token = match existing.status {
                A::Pending => Some(applications::issue_token(
                    conn,
                    &existing.id,
                    Purpose::Confirm,
                    at,
                    Some(expires),
                )?),
                _ => None,
            };
            mail_applicant(
                conn,
                &mailer,
                &facts,
                &existing,
                MailKind::ApplicationExists,
                token.as_deref(),
            )?;
            return Ok(());
        }
        let row = ApplicationRow {
            id: db::new_id(),
            session_id: sid.clone(),
            name: who.name,
            email: who.email,
            organization: who.organization,
            answers: serde_json::to_string(&who.answers).map_err(|e| ApiError::internal(e.to_string()))?,
            status: A::Pending,
            created_at: at,
            confirmed_at: None,
            promoted_at: None,
            cancelled_at: None,
            updated_at: at,
        };
        applications::insert(conn, &row)?;
        let token = applications::issue_token(conn, &row.id, Purpose::Confirm, at, Some(expires))?;
        mail_applicant(conn, &mailer, &facts, &row, MailKind::ApplicationConfirm, Some(&token))?;
        Ok(())
    })
}

/// The application a token of `purpose` names, with its session locked.
fn by_token(conn: &mut DbConn, token: &str, purpose: Purpose) -> ApiResult<Applicant> {
    let id = applications::token_holder(conn, token, purpose, now())?.ok_or_else(invalid_token)?;
    let session_id = applications::find(conn, &id)?.ok_or_else(invalid_token)?.session_id;
    let session = events::lock(conn, &session_id)?.ok_or_else(invalid_token)?;
    // Read again under the lock: a concurrent change of this session has committed by now.
    let application = applications::find(conn, &id)?.ok_or_else(invalid_token)?;
    let (activity, _) = activities::find(conn, &session.activity_id)?;
    Ok(Applicant {
        application,
        session,
        activity,
    })
}

/// Confirms an application's address: a seat if one is left, else the waitlist, else 409
/// `session_full` (and nothing changes: the link works again if a seat frees up).
pub fn confirm(conn: &mut Conn, mailer: &Mailer, token: String) -> ApiResult<Applicant> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let mut a = by_token(conn, &token, Purpose::Confirm)?;
        if a.application.status != A::Pending {
            return Err(invalid_token());
        }
        // A suspended or withdrawn activity's sessions take no seats (the link works again
        // if it is approved again).
        if a.activity.status != Status::Approved {
            return Err(no_session());
        }
        let at = now();
        match a.session.window().status(at) {
            OpenStatus::Preopen => {}
            status => refuse_closed(status)?,
        }
        let sid = a.session.id.clone();
        let to = if events::take_seat(conn, &sid)? {
            A::Confirmed
        } else if a.session.waitlist {
            events::count(conn, &sid, 0, 1)?;
            A::Waitlisted
        } else {
            return Err(session_full());
        };
        if !applications::set_status(conn, &a.application.id, A::Pending, to, at)? {
            return Err(invalid_token());
        }
        applications::spend_tokens(conn, &a.application.id, Purpose::Confirm, at)?;
        let kind = if to == A::Confirmed {
            MailKind::ApplicationConfirmed
        } else {
            MailKind::ApplicationWaitlisted
        };
        a.application = applications::find(conn, &a.application.id)?.ok_or_else(invalid_token)?;
        a.session = events::find(conn, &sid)?.ok_or_else(invalid_token)?;
        mail_applicant(
            conn,
            &mailer,
            &facts_of(&a.session, &a.activity)?,
            &a.application,
            kind,
            None,
        )?;
        generation::bump(conn)?;
        Ok(a)
    })
}

/// The applicant's own view, from the manage link of any of their mails.
pub fn view(conn: &mut Conn, token: String) -> ApiResult<Applicant> {
    by_token(conn, &token, Purpose::Manage)
}

/// Cancels an application from its manage link; a freed seat goes to the waitlist at once.
/// The application's links stop working.
pub fn cancel(conn: &mut Conn, mailer: &Mailer, token: String) -> ApiResult<Applicant> {
    let mailer = mailer.clone();
    db::transaction(conn, move |conn| {
        let mut a = by_token(conn, &token, Purpose::Manage)?;
        let (id, sid, from) = (a.application.id.clone(), a.session.id.clone(), a.application.status);
        if !from.is_live() {
            return Err(invalid_token());
        }
        let at = now();
        if !applications::set_status(conn, &id, from, A::Cancelled, at)? {
            return Err(invalid_token());
        }
        match from {
            A::Confirmed => events::count(conn, &sid, -1, 0)?,
            A::Waitlisted => events::count(conn, &sid, 0, -1)?,
            _ => {}
        }
        for purpose in [Purpose::Manage, Purpose::Confirm] {
            applications::spend_tokens(conn, &id, purpose, at)?;
        }
        a.application = applications::find(conn, &id)?.ok_or_else(invalid_token)?;
        mail_applicant(
            conn,
            &mailer,
            &facts_of(&a.session, &a.activity)?,
            &a.application,
            MailKind::ApplicationCancelled,
            None,
        )?;
        if from == A::Confirmed {
            promote(conn, &mailer, &sid)?;
        }
        a.session = events::find(conn, &sid)?.ok_or_else(invalid_token)?;
        generation::bump(conn)?;
        Ok(a)
    })
}
