//! Event sessions and applications to them: the rules of a session's fields, where its
//! application window stands, and how an applicant's address is compared.

use crate::domain::codes::{codes, ActivityFormat};
use crate::domain::text::{clean, Lines};
use crate::domain::FieldError;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use unicode_normalization::UnicodeNormalization;

codes!(
    /// Where an application stands: `pending` until its address is confirmed by mail, then
    /// `confirmed` (holds a seat) or `waitlisted`; `cancelled` by the applicant or with the
    /// session; `expired` when its confirmation link ran out unused.
    ApplicationStatus, "application status" {
        Pending = "pending",
        Confirmed = "confirmed",
        Waitlisted = "waitlisted",
        Cancelled = "cancelled",
        Expired = "expired",
    }
);

impl ApplicationStatus {
    /// An application that still counts: a second one for the same address is refused.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Pending | Self::Confirmed | Self::Waitlisted)
    }
}

codes!(
    /// Whether a session takes applications now, as the public sees it.
    OpenStatus, "open status" {
        /// The application window has not opened yet.
        Preopen = "preopen",
        /// Seats remain.
        Open = "open",
        /// Every seat is taken; new applications join the waitlist.
        Waitlist = "waitlist",
        /// Every seat is taken and there is no waitlist.
        Full = "full",
        /// The application window has closed.
        Closed = "closed",
        /// The organizer cancelled the session.
        Cancelled = "cancelled",
    }
);

codes!(
    /// What a token in an applicant's mail does.
    ApplicationTokenPurpose, "application token purpose" {
        /// Confirms the address (double opt-in); single use, 48 hours.
        Confirm = "confirm",
        /// Shows or cancels the application; spent with the cancellation.
        Manage = "manage",
    }
);

/// How long an application's confirmation link works.
pub const CONFIRM_TTL_HOURS: i64 = 48;
/// Reminders go to confirmed applicants this long before a session starts.
pub const REMINDER_HOURS: i64 = 24;
pub const CAPACITY_MAX: i32 = 100_000;
pub const QUESTIONS_MAX: usize = 5;
const QUESTION_CHARS: usize = 200;
const ANSWER_CHARS: usize = 1000;
const VENUE_CHARS: usize = 200;
const FEE_CHARS: usize = 100;
const NAME_CHARS: usize = 100;
const ORGANIZATION_CHARS: usize = 200;
pub const DEFAULT_FEE: &str = "無料";

/// Bounds for open-ended date ranges, well inside what both backends store.
pub fn earliest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1900, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

pub fn latest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(3000, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

/// Japan Standard Time, in which sessions are shown (Japan keeps no daylight saving time).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("a valid offset")
}

/// A stored (UTC) time as shown: in Asia/Tokyo, with its offset.
pub fn tokyo(t: NaiveDateTime) -> DateTime<FixedOffset> {
    t.and_utc().with_timezone(&jst())
}

/// The UTC instant at which `date` begins in Asia/Tokyo.
pub fn tokyo_midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) - chrono::Duration::hours(9)
}

/// A session's fields, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFields {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub format: ActivityFormat,
    pub venue: Option<String>,
    pub capacity: Option<i32>,
    pub applications_open_at: Option<NaiveDateTime>,
    pub applications_close_at: Option<NaiveDateTime>,
    pub fee: String,
    pub waitlist: bool,
    pub online_url: Option<String>,
    pub questions: Vec<String>,
}

/// A session's fields as a request gives them: absent fields keep their value (or default,
/// for a new session); `Some(None)` clears a field that may be empty.
#[derive(Debug, Clone, Default)]
pub struct SessionInput {
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub format: Option<String>,
    pub venue: Option<Option<String>>,
    pub capacity: Option<Option<i64>>,
    pub applications_open_at: Option<Option<String>>,
    pub applications_close_at: Option<Option<String>>,
    pub fee: Option<String>,
    pub waitlist: Option<bool>,
    pub online_url: Option<Option<String>>,
    pub questions: Option<Vec<String>>,
}

/// An RFC 3339 time with an offset (`2026-11-10T14:00:00+09:00`), as UTC.
pub fn instant(field: &str, raw: &str) -> Result<NaiveDateTime, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.naive_utc())
        .filter(super::clock::in_years)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_datetime",
                "must be an RFC 3339 time with an offset in the years 2000–2999, e.g. 2026-11-10T14:00:00+09:00",
            )
        })
}

fn optional_instant(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<NaiveDateTime> {
    raw.and_then(|r| instant(field, r).map_err(|e| errors.push(e)).ok())
}

/// Builds a session's fields from `input` over `base` (the stored session; `None` for a new
/// one), checking every field and how they fit together.
pub fn build_session(base: Option<&SessionFields>, input: SessionInput) -> Result<SessionFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut time = |field: &str, raw: Option<String>, old: Option<NaiveDateTime>| match (raw, old) {
        (Some(r), _) => instant(field, &r).map_err(|e| errors.push(e)).ok(),
        (None, Some(t)) => Some(t),
        (None, None) => {
            errors.push(FieldError::new(field, "required", "must be given"));
            None
        }
    };
    let starts_at = time("starts_at", input.starts_at, base.map(|b| b.starts_at));
    let ends_at = time("ends_at", input.ends_at, base.map(|b| b.ends_at));
    let format = match (input.format, base) {
        (Some(f), _) => ActivityFormat::parse(&f).or_else(|| {
            errors.push(FieldError::new(
                "format",
                "invalid_format",
                "must be online, onsite or hybrid",
            ));
            None
        }),
        (None, Some(b)) => Some(b.format),
        (None, None) => {
            errors.push(FieldError::new("format", "required", "must be given"));
            None
        }
    };
    let venue = match input.venue {
        Some(v) => v.filter(|v| !v.trim().is_empty()).and_then(|v| {
            clean("venue", &v, VENUE_CHARS, Lines::Multi)
                .map_err(|e| errors.push(e))
                .ok()
        }),
        None => base.and_then(|b| b.venue.clone()),
    };
    let capacity = match input.capacity {
        Some(Some(n)) if (1..=i64::from(CAPACITY_MAX)).contains(&n) => Some(n as i32),
        Some(Some(_)) => {
            errors.push(FieldError::new(
                "capacity",
                "out_of_range",
                format!("must be 1–{CAPACITY_MAX}, or null for no limit"),
            ));
            None
        }
        Some(None) => None,
        None => base.and_then(|b| b.capacity),
    };
    let open_at = match input.applications_open_at {
        Some(raw) => optional_instant("applications_open_at", raw.as_deref(), &mut errors),
        None => base.and_then(|b| b.applications_open_at),
    };
    let close_at = match input.applications_close_at {
        Some(raw) => optional_instant("applications_close_at", raw.as_deref(), &mut errors),
        None => base.and_then(|b| b.applications_close_at),
    };
    let fee = match input.fee {
        Some(f) if f.trim().is_empty() => DEFAULT_FEE.to_owned(),
        Some(f) => clean("fee", &f, FEE_CHARS, Lines::Single).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        }),
        None => base.map_or_else(|| DEFAULT_FEE.to_owned(), |b| b.fee.clone()),
    };
    let online_url = match input.online_url {
        Some(Some(u)) if !u.trim().is_empty() => crate::domain::activity::http_url(&u)
            .map_err(|e| errors.push(FieldError::new("online_url", &e.code, e.message)))
            .ok(),
        Some(_) => None,
        None => base.and_then(|b| b.online_url.clone()),
    };
    let questions = match input.questions {
        Some(qs) => questions(qs, &mut errors),
        None => base.map(|b| b.questions.clone()).unwrap_or_default(),
    };
    let waitlist = input.waitlist.or(base.map(|b| b.waitlist)).unwrap_or(false);
    let (Some(starts_at), Some(ends_at), Some(format)) = (starts_at, ends_at, format) else {
        return Err(errors);
    };
    if ends_at <= starts_at {
        errors.push(FieldError::new("ends_at", "before_start", "must be after starts_at"));
    }
    if open_at.is_some_and(|o| o >= close_at.unwrap_or(starts_at)) {
        errors.push(FieldError::new(
            "applications_open_at",
            "after_close",
            "must be before applications_close_at (or, without one, before starts_at)",
        ));
    }
    if close_at.is_some_and(|c| c > ends_at) {
        errors.push(FieldError::new(
            "applications_close_at",
            "after_end",
            "must not be after ends_at",
        ));
    }
    let venue = if format == ActivityFormat::Online { None } else { venue };
    if format != ActivityFormat::Online && venue.is_none() {
        errors.push(FieldError::new(
            "venue",
            "required",
            "is needed for an onsite or hybrid session",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SessionFields {
        starts_at,
        ends_at,
        format,
        venue,
        capacity,
        applications_open_at: open_at,
        applications_close_at: close_at,
        fee,
        waitlist,
        online_url,
        questions,
    })
}

fn questions(qs: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    if qs.len() > QUESTIONS_MAX {
        errors.push(FieldError::new(
            "questions",
            "too_many",
            format!("at most {QUESTIONS_MAX} questions"),
        ));
        return Vec::new();
    }
    qs.iter()
        .enumerate()
        .filter_map(|(i, q)| {
            clean(&format!("questions[{i}]"), q, QUESTION_CHARS, Lines::Single)
                .map_err(|e| errors.push(e))
                .ok()
        })
        .collect()
}

/// What decides a session's [`OpenStatus`].
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub starts_at: NaiveDateTime,
    pub open_at: Option<NaiveDateTime>,
    pub close_at: Option<NaiveDateTime>,
    pub capacity: Option<i32>,
    pub confirmed: i32,
    pub waitlist: bool,
    pub cancelled: bool,
}

impl Window {
    /// Applications are taken from `open_at` (or at once) until `close_at` (or the start).
    pub fn close(&self) -> NaiveDateTime {
        self.close_at.unwrap_or(self.starts_at)
    }

    pub fn seats_left(&self) -> bool {
        self.capacity.is_none_or(|c| self.confirmed < c)
    }

    pub fn status(&self, now: NaiveDateTime) -> OpenStatus {
        if self.cancelled {
            OpenStatus::Cancelled
        } else if now >= self.close() {
            OpenStatus::Closed
        } else if self.open_at.is_some_and(|o| now < o) {
            OpenStatus::Preopen
        } else if self.seats_left() {
            OpenStatus::Open
        } else if self.waitlist {
            OpenStatus::Waitlist
        } else {
            OpenStatus::Full
        }
    }
}

/// An applicant's address in the form applications are compared and mailed in: NFKC
/// (full-width letters become ASCII), lower case, then the account rules for addresses.
pub fn applicant_email(raw: &str) -> Result<String, FieldError> {
    let folded: String = raw.nfkc().collect();
    crate::domain::account::email(&folded)
}

/// An application's fields, validated.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
    pub answers: Vec<String>,
}

/// Checks an application against the session's `questions` (one answer per question, in
/// order; an answer may be empty).
pub fn build_applicant(
    name: &str,
    email: &str,
    organization: Option<&str>,
    answers: &[String],
    questions: &[String],
) -> Result<Applicant, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = clean("name", name, NAME_CHARS, Lines::Single)
        .map_err(|e| errors.push(e))
        .ok();
    let email = applicant_email(email).map_err(|e| errors.push(e)).ok();
    let organization = organization.filter(|o| !o.trim().is_empty()).and_then(|o| {
        clean("organization", o, ORGANIZATION_CHARS, Lines::Single)
            .map_err(|e| errors.push(e))
            .ok()
    });
    if answers.len() != questions.len() {
        errors.push(FieldError::new(
            "answers",
            "answer_count",
            format!(
                "must hold one answer for each of the session's {} questions",
                questions.len()
            ),
        ));
    }
    let answers: Vec<String> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if a.trim().is_empty() {
                return String::new();
            }
            clean(&format!("answers[{i}]"), a, ANSWER_CHARS, Lines::Multi).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        })
        .collect();
    match (name, email) {
        (Some(name), Some(email)) if errors.is_empty() => Ok(Applicant {
            name,
            email,
            organization,
            answers,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests;
