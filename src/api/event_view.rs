//! Shapes of event sessions and applications: the organizer's view of a session, the input
//! of a session, the organizer's view of an application and the applicant's own view.

use crate::api::extract::nullable;
use crate::db::applications::ApplicationRow;
use crate::db::events::SessionRow;
use crate::domain::clock::{now, utc};
use crate::domain::codes::ActivityFormat;
use crate::domain::event::{tokyo, ApplicationStatus, OpenStatus, SessionInput};
use crate::error::{ApiError, ApiResult};
use crate::service::applications::Applicant;
use crate::service::public::sessions::PublicSession;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A session as its organizer (and staff) see it: the public fields and the private ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub activity_id: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub format: ActivityFormat,
    pub venue: Option<String>,
    pub capacity: Option<i32>,
    pub applications_open_at: Option<DateTime<FixedOffset>>,
    /// As set; `null` means applications close when the session starts.
    pub applications_close_at: Option<DateTime<FixedOffset>>,
    pub fee: String,
    pub waitlist: bool,
    /// Private: shown to confirmed applicants only (in their mails and own view).
    pub online_url: Option<String>,
    pub questions: Vec<String>,
    pub confirmed: i32,
    pub waitlisted: i32,
    pub remaining: Option<i32>,
    pub open_status: OpenStatus,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Send it with a PATCH.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SessionOut {
    pub fn new(s: SessionRow) -> ApiResult<Self> {
        let public = PublicSession::new(&s, now())?;
        Ok(Self {
            id: s.id,
            activity_id: s.activity_id,
            starts_at: public.starts_at,
            ends_at: public.ends_at,
            format: public.format,
            venue: public.venue,
            capacity: s.capacity,
            applications_open_at: public.applications_open_at,
            applications_close_at: s.applications_close_at.map(tokyo),
            fee: public.fee,
            waitlist: s.waitlist,
            online_url: s.online_url,
            questions: public.questions,
            confirmed: s.confirmed_count,
            waitlisted: s.waitlisted_count,
            remaining: public.remaining,
            open_status: public.open_status,
            cancelled_at: s.cancelled_at.map(utc),
            version: s.version,
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        })
    }
}

/// A new session. Times are RFC 3339 with an offset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    #[schema(example = "2026-11-10T14:00:00+09:00")]
    pub starts_at: String,
    #[schema(example = "2026-11-10T15:30:00+09:00")]
    pub ends_at: String,
    #[schema(value_type = ActivityFormat)]
    pub format: String,
    /// Needed for onsite and hybrid sessions; ignored for online ones.
    #[schema(max_length = 200)]
    pub venue: Option<String>,
    /// 1–100000; absent or `null`: no limit.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i64>,
    /// Absent: applications open at once.
    #[schema(format = DateTime)]
    pub applications_open_at: Option<String>,
    /// Absent: applications close when the session starts. Not after `ends_at`.
    #[schema(format = DateTime)]
    pub applications_close_at: Option<String>,
    /// Free text; default 無料.
    #[schema(max_length = 100)]
    pub fee: Option<String>,
    /// Whether a full session keeps taking applications to a waitlist (default false).
    pub waitlist: Option<bool>,
    /// Private: only confirmed applicants get it.
    pub online_url: Option<String>,
    /// 0–5 short questions (each up to 200 characters) for the application form.
    #[schema(max_items = 5)]
    pub questions: Option<Vec<String>>,
}

impl From<NewSession> for SessionInput {
    fn from(n: NewSession) -> Self {
        SessionInput {
            starts_at: Some(n.starts_at),
            ends_at: Some(n.ends_at),
            format: Some(n.format),
            venue: Some(n.venue),
            capacity: Some(n.capacity),
            applications_open_at: Some(n.applications_open_at),
            applications_close_at: Some(n.applications_close_at),
            fee: n.fee,
            waitlist: n.waitlist,
            online_url: Some(n.online_url),
            questions: n.questions,
        }
    }
}

/// Changes to a session at `version`: absent fields stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    /// The version you read; 409 `version_conflict` (with `current`) if it moved on.
    pub version: i64,
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    #[schema(value_type = Option<ActivityFormat>)]
    pub format: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub venue: Option<Option<String>>,
    /// Not below the confirmed seats; raising it promotes the waitlist at once.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub capacity: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub applications_open_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub applications_close_at: Option<Option<String>>,
    pub fee: Option<String>,
    pub waitlist: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub online_url: Option<Option<String>>,
    /// Fixed once anyone has applied (409 `questions_locked`).
    pub questions: Option<Vec<String>>,
}

impl SessionPatch {
    pub fn split(self) -> (i64, SessionInput) {
        (
            self.version,
            SessionInput {
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                format: self.format,
                venue: self.venue,
                capacity: self.capacity,
                applications_open_at: self.applications_open_at,
                applications_close_at: self.applications_close_at,
                fee: self.fee,
                waitlist: self.waitlist,
                online_url: self.online_url,
                questions: self.questions,
            },
        )
    }
}

/// An application as the organizer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: ApplicationStatus,
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
    /// One per question of the session, in order.
    pub answers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub promoted_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl ApplicationOut {
    pub fn new(a: ApplicationRow) -> ApiResult<Self> {
        Ok(Self {
            answers: a.answers()?,
            id: a.id,
            status: a.status,
            name: a.name,
            email: a.email,
            organization: a.organization,
            created_at: utc(a.created_at),
            confirmed_at: a.confirmed_at.map(utc),
            promoted_at: a.promoted_at.map(utc),
            cancelled_at: a.cancelled_at.map(utc),
        })
    }
}

/// An application as its applicant sees it, from a link in their mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: ApplicationStatus,
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
    pub answers: Vec<String>,
    #[schema(format = Uuid)]
    pub activity_id: String,
    pub activity_title: String,
    pub organizer_name: String,
    pub session: PublicSession,
    /// Only while the application holds a seat.
    pub online_url: Option<String>,
}

impl ApplicantOut {
    pub fn new(a: Applicant) -> ApiResult<Self> {
        let seated = a.application.status == ApplicationStatus::Confirmed;
        Ok(Self {
            session: PublicSession::new(&a.session, now()).map_err(ApiError::from)?,
            online_url: if seated { a.session.online_url } else { None },
            answers: a.application.answers()?,
            id: a.application.id,
            status: a.application.status,
            name: a.application.name,
            email: a.application.email,
            organization: a.application.organization,
            activity_id: a.activity.id,
            activity_title: a.activity.title,
            organizer_name: a.activity.organizer_name,
        })
    }
}

/// A new application to a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    #[schema(max_length = 100)]
    pub name: String,
    /// Compared with other applications to the session ignoring case and full-width forms.
    #[schema(format = Email)]
    pub email: String,
    #[schema(max_length = 200)]
    pub organization: Option<String>,
    /// One answer per question of the session, in order (may be empty strings).
    #[serde(default)]
    pub answers: Vec<String>,
}
