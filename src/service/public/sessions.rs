//! The public view of event sessions: times in Asia/Tokyo, seat counts and where the
//! application window stands. Never the online URL, never an applicant.

use crate::db::events::{self, SessionRow};
use crate::db::public::PublicRow;
use crate::db::{self, DbConn};
use crate::domain::codes::ActivityFormat;
use crate::domain::event::{tokyo, OpenStatus};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A session as anyone may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSession {
    #[schema(format = Uuid)]
    pub id: String,
    /// In Asia/Tokyo (`+09:00`).
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub format: ActivityFormat,
    /// Where an onsite or hybrid session takes place.
    pub venue: Option<String>,
    pub fee: String,
    /// Seats; `null`: no limit.
    pub capacity: Option<i32>,
    pub confirmed: i32,
    /// Seats left; `null` when there is no limit.
    pub remaining: Option<i32>,
    pub waitlisted: i32,
    /// Whether a full session takes applications to its waitlist.
    pub waitlist: bool,
    /// `null`: applications are taken from the start.
    pub applications_open_at: Option<DateTime<FixedOffset>>,
    /// When applications close (the start of the session unless the organizer set a time).
    pub applications_close_at: DateTime<FixedOffset>,
    /// Questions the application form asks (answers in the same order).
    pub questions: Vec<String>,
    pub open_status: OpenStatus,
}

impl PublicSession {
    pub fn new(s: &SessionRow, now: NaiveDateTime) -> db::Result<Self> {
        let w = s.window();
        let f = s.fields()?;
        Ok(Self {
            id: s.id.clone(),
            starts_at: tokyo(s.starts_at),
            ends_at: tokyo(s.ends_at),
            format: f.format,
            venue: f.venue,
            fee: f.fee,
            capacity: s.capacity,
            confirmed: s.confirmed_count,
            remaining: s.capacity.map(|c| (c - s.confirmed_count).max(0)),
            waitlisted: s.waitlisted_count,
            waitlist: s.waitlist,
            applications_open_at: s.applications_open_at.map(tokyo),
            applications_close_at: tokyo(w.close()),
            questions: f.questions,
            open_status: w.status(now),
        })
    }
}

/// The public sessions of the activities among `rows` that have any, by activity id.
pub fn of_rows<'a>(
    conn: &mut DbConn,
    rows: impl IntoIterator<Item = &'a PublicRow>,
) -> db::Result<HashMap<String, Vec<PublicSession>>> {
    let ids: Vec<String> = rows
        .into_iter()
        .filter(|r| r.session_count > 0)
        .map(|r| r.id.clone())
        .collect();
    let mut by: HashMap<String, Vec<PublicSession>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by);
    }
    let now = db::now();
    for s in events::for_activities(conn, &ids)? {
        by.entry(s.activity_id.clone())
            .or_default()
            .push(PublicSession::new(&s, now)?);
    }
    Ok(by)
}

/// The public sessions of an approved activity (404 for any other).
pub fn of_activity(conn: &mut crate::db::Conn, id: &str) -> crate::error::ApiResult<Vec<PublicSession>> {
    let row = crate::db::public::find(conn, id)?
        .ok_or_else(|| crate::error::ApiError::not_found("No approved activity with this id."))?;
    Ok(of_rows(conn, [&row.0])?.remove(id).unwrap_or_default())
}
