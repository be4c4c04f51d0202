//! What happens to event sessions with time alone: reminders to confirmed applicants a day
//! before a session starts, and a new public generation when an application window opens
//! or closes (the public view shows each session's open status, and caches and ETags follow
//! the generation). Every server process runs [`tick`]; a reminder goes out once.

use crate::db::applications;
use crate::db::events;
use crate::db::{self, generation, Conn};
use crate::domain::codes::MailKind;
use crate::domain::event::{ApplicationStatus, REMINDER_HOURS};
use crate::mail::Mailer;
use crate::service::applications::{mail_applicant, session_facts};
use chrono::{Duration, NaiveDateTime};

/// One look at the clock at `now`, the last having been at `since`. Returns how many
/// sessions' reminders this call wrote.
pub fn tick(conn: &mut Conn, mailer: &Mailer, since: NaiveDateTime, now: NaiveDateTime) -> db::Result<usize> {
    if events::window_passed(conn, since, now)? {
        db::transaction(conn, generation::bump)?;
    }
    let mut reminded = 0;
    for sid in events::due_reminders(conn, now, now + Duration::hours(REMINDER_HOURS))? {
        let mailer = mailer.clone();
        let wrote = db::transaction(conn, move |conn| {
            let Some(session) = events::lock(conn, &sid)? else {
                return Ok::<_, db::Error>(false);
            };
            if !events::mark_reminded(conn, &sid, now)? {
                return Ok(false);
            }
            let facts = session_facts(conn, &session)?;
            for a in applications::seated(conn, &sid)? {
                if a.status == ApplicationStatus::Confirmed {
                    mail_applicant(conn, &mailer, &facts, &a, MailKind::SessionReminder, None)?;
                }
            }
            Ok(true)
        })?;
        reminded += usize::from(wrote);
    }
    Ok(reminded)
}

/// Starts the clock thread of a server process: a look every `every`. First, before the
/// process serves, a new generation: a window may have opened or closed while no process
/// ran, and the clock only sees those that pass while it runs.
pub fn spawn(pool: db::Pool, mailer: Mailer, every: std::time::Duration) -> Result<(), String> {
    let started = pool
        .get()
        .map_err(db::Error::from)
        .and_then(|mut conn| db::transaction(&mut conn, generation::bump));
    if let Err(e) = started {
        log::warn!("events: the clock could not start a new generation: {e}");
    }
    std::thread::Builder::new()
        .name("event-clock".into())
        .spawn(move || {
            let mut since = db::now();
            loop {
                std::thread::sleep(every);
                let now = db::now();
                let done = pool
                    .get()
                    .map_err(db::Error::from)
                    .and_then(|mut conn| tick(&mut conn, &mailer, since, now));
                match done {
                    Ok(_) => since = now,
                    Err(e) => log::warn!("events: the clock could not run: {e}"),
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the event clock: {e}"))
}
