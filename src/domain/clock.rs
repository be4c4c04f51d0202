//! Times and ids as the registry stores them.

use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, Utc};
use std::ops::RangeInclusive;

/// The current time, truncated to microseconds so that it round-trips exactly through both
/// backends (cursors compare stored times for equality).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored UTC time as a zoned time for API types.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// The years a date or time from a client may fall in: any campaign's, and within what both
/// backends store (chrono reads years from -262144, PostgreSQL refuses those before 4713 BC).
pub const YEARS: RangeInclusive<i32> = 2000..=2999;

/// Whether a date or time from a client falls in [`YEARS`].
pub fn in_years(t: &impl Datelike) -> bool {
    YEARS.contains(&t.year())
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
