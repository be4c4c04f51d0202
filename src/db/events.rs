//! The `event_sessions` table: an activity's sessions, their seat counts (kept here in the
//! same transaction as every application change), and the sweeps of the clock.

use super::schema::{activities, event_sessions};
use super::{DbConn, Error, Result};
use crate::domain::codes::ActivityFormat;
use crate::domain::event::{SessionFields, Window};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = event_sessions)]
pub struct SessionRow {
    pub id: String,
    pub activity_id: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub format: String,
    pub venue: Option<String>,
    pub capacity: Option<i32>,
    pub applications_open_at: Option<NaiveDateTime>,
    pub applications_close_at: Option<NaiveDateTime>,
    pub fee: String,
    pub waitlist: bool,
    /// Private: only the organizer, staff and confirmed applicants see it.
    pub online_url: Option<String>,
    /// A JSON array of strings.
    pub questions: String,
    pub confirmed_count: i32,
    pub waitlisted_count: i32,
    pub cancelled_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns an edit sets.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = event_sessions, treat_none_as_null = true)]
struct Fields<'a> {
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    format: &'a str,
    venue: Option<&'a str>,
    capacity: Option<i32>,
    applications_open_at: Option<NaiveDateTime>,
    applications_close_at: Option<NaiveDateTime>,
    fee: &'a str,
    waitlist: bool,
    online_url: Option<&'a str>,
    questions: String,
    reminded_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

fn questions_json(qs: &[String]) -> String {
    serde_json::to_string(qs).unwrap_or_else(|_| "[]".into())
}

impl SessionRow {
    pub fn new(activity_id: &str, f: SessionFields, at: NaiveDateTime) -> Self {
        Self {
            id: super::new_id(),
            activity_id: activity_id.to_owned(),
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            format: f.format.as_str().to_owned(),
            venue: f.venue,
            capacity: f.capacity,
            applications_open_at: f.applications_open_at,
            applications_close_at: f.applications_close_at,
            fee: f.fee,
            waitlist: f.waitlist,
            online_url: f.online_url,
            questions: questions_json(&f.questions),
            confirmed_count: 0,
            waitlisted_count: 0,
            cancelled_at: None,
            reminded_at: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    pub fn questions(&self) -> Result<Vec<String>> {
        serde_json::from_str(&self.questions).map_err(|e| Error::Corrupt(format!("session {} questions: {e}", self.id)))
    }

    pub fn fields(&self) -> Result<SessionFields> {
        Ok(SessionFields {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            format: ActivityFormat::try_from(self.format.clone()).map_err(|e| Error::Corrupt(e.to_string()))?,
            venue: self.venue.clone(),
            capacity: self.capacity,
            applications_open_at: self.applications_open_at,
            applications_close_at: self.applications_close_at,
            fee: self.fee.clone(),
            waitlist: self.waitlist,
            online_url: self.online_url.clone(),
            questions: self.questions()?,
        })
    }

    pub fn window(&self) -> Window {
        Window {
            starts_at: self.starts_at,
            open_at: self.applications_open_at,
            close_at: self.applications_close_at,
            capacity: self.capacity,
            confirmed: self.confirmed_count,
            waitlist: self.waitlist,
            cancelled: self.cancelled_at.is_some(),
        }
    }
}

fn add_to_count(conn: &mut DbConn, activity_id: &str, delta: i32) -> Result<()> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::session_count.eq(activities::session_count + delta))
        .execute(conn)?;
    Ok(())
}

/// Inserts a session and counts it on its activity.
pub fn insert(conn: &mut DbConn, row: &SessionRow) -> Result<()> {
    diesel::insert_into(event_sessions::table).values(row).execute(conn)?;
    add_to_count(conn, &row.activity_id, 1)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<SessionRow>> {
    Ok(event_sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// [`find`], and on PostgreSQL a lock on the row until the transaction ends: every change to
/// a session's applications takes it first, so they happen one after another (SQLite runs
/// its write transactions one at a time anyway).
pub fn lock(conn: &mut DbConn, id: &str) -> Result<Option<SessionRow>> {
    match conn {
        DbConn::Pg(c) => Ok(event_sessions::table
            .find(id)
            .select(SessionRow::as_select())
            .for_update()
            .first(c)
            .optional()?),
        _ => find(conn, id),
    }
}

/// The sessions of one activity, in the order they take place.
pub fn for_activity(conn: &mut DbConn, activity_id: &str) -> Result<Vec<SessionRow>> {
    Ok(event_sessions::table
        .filter(event_sessions::activity_id.eq(activity_id))
        .order((event_sessions::starts_at, event_sessions::id))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// The sessions of several activities, in the order they take place.
pub fn for_activities(conn: &mut DbConn, ids: &[String]) -> Result<Vec<SessionRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(event_sessions::table
        .filter(event_sessions::activity_id.eq_any(ids))
        .order((event_sessions::starts_at, event_sessions::id))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Writes `f` (and `reminded_at`) over the session if it is still at `version`; `false` if
/// it is not.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    f: &SessionFields,
    reminded_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        event_sessions::table
            .find(id)
            .filter(event_sessions::version.eq(version)),
    )
    .set((
        Fields {
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            format: f.format.as_str(),
            venue: f.venue.as_deref(),
            capacity: f.capacity,
            applications_open_at: f.applications_open_at,
            applications_close_at: f.applications_close_at,
            fee: &f.fee,
            waitlist: f.waitlist,
            online_url: f.online_url.as_deref(),
            questions: questions_json(&f.questions),
            reminded_at,
            updated_at: at,
        },
        event_sessions::version.eq(event_sessions::version + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many sessions the activity has.
pub fn count_for(conn: &mut DbConn, activity_id: &str) -> Result<i64> {
    Ok(event_sessions::table
        .filter(event_sessions::activity_id.eq(activity_id))
        .count()
        .get_result(conn)?)
}

/// Deletes a session (its applications go with it) and uncounts it.
pub fn delete(conn: &mut DbConn, row: &SessionRow) -> Result<()> {
    diesel::delete(event_sessions::table.find(&row.id)).execute(conn)?;
    add_to_count(conn, &row.activity_id, -1)
}

/// Marks a session cancelled (and its counts empty, as every application is cancelled with
/// it); `false` if it already was.
pub fn cancel(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        event_sessions::table
            .find(id)
            .filter(event_sessions::cancelled_at.is_null()),
    )
    .set((
        event_sessions::cancelled_at.eq(Some(at)),
        event_sessions::confirmed_count.eq(0),
        event_sessions::waitlisted_count.eq(0),
        event_sessions::version.eq(event_sessions::version + 1),
        event_sessions::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Moves the seat counts by the deltas.
pub fn count(conn: &mut DbConn, id: &str, confirmed: i32, waitlisted: i32) -> Result<()> {
    diesel::update(event_sessions::table.find(id))
        .set((
            event_sessions::confirmed_count.eq(event_sessions::confirmed_count + confirmed),
            event_sessions::waitlisted_count.eq(event_sessions::waitlisted_count + waitlisted),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes a seat if one is left, in one conditional update; `false` if none is.
pub fn take_seat(conn: &mut DbConn, id: &str) -> Result<bool> {
    let n = diesel::update(
        event_sessions::table.find(id).filter(
            event_sessions::capacity
                .is_null()
                .or(event_sessions::confirmed_count.nullable().lt(event_sessions::capacity)),
        ),
    )
    .set(event_sessions::confirmed_count.eq(event_sessions::confirmed_count + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Sessions starting before `until` (and not yet begun at `now`) whose reminder has not
/// gone out.
pub fn due_reminders(conn: &mut DbConn, now: NaiveDateTime, until: NaiveDateTime) -> Result<Vec<String>> {
    Ok(event_sessions::table
        .filter(event_sessions::starts_at.gt(now))
        .filter(event_sessions::starts_at.le(until))
        .filter(event_sessions::reminded_at.is_null())
        .filter(event_sessions::cancelled_at.is_null())
        .select(event_sessions::id)
        .limit(100)
        .load(conn)?)
}

/// Marks the reminder of a session as sent; `false` if another process did first.
pub fn mark_reminded(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        event_sessions::table
            .find(id)
            .filter(event_sessions::reminded_at.is_null()),
    )
    .set(event_sessions::reminded_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether any session's application window opened or closed, or any session started, in
/// `(since, now]`: the public view's open statuses changed without a write.
pub fn window_passed(conn: &mut DbConn, since: NaiveDateTime, now: NaiveDateTime) -> Result<bool> {
    let opened = event_sessions::table.filter(
        event_sessions::applications_open_at
            .gt(since)
            .and(event_sessions::applications_open_at.le(now)),
    );
    let closed = event_sessions::table.filter(
        event_sessions::applications_close_at
            .gt(since)
            .and(event_sessions::applications_close_at.le(now)),
    );
    let started = event_sessions::table.filter(
        event_sessions::starts_at
            .gt(since)
            .and(event_sessions::starts_at.le(now)),
    );
    Ok(diesel::select(diesel::dsl::exists(opened)).get_result::<bool>(conn)?
        || diesel::select(diesel::dsl::exists(closed)).get_result::<bool>(conn)?
        || diesel::select(diesel::dsl::exists(started)).get_result::<bool>(conn)?)
}
