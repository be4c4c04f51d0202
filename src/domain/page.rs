//! Paging rules shared by every list: `limit` 1–100 (default 20) and a keyset position
//! (a time and an id) that travels as an opaque cursor.

use crate::domain::FieldError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// Parses `limit`: a whole number from 1 to 100, default 20.
pub fn limit(raw: Option<&str>) -> Result<i64, FieldError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(FieldError::new(
                "limit",
                "out_of_range",
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// A position in a list ordered by a time and then an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: NaiveDateTime,
    pub id: String,
}

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.at.format(TIME_FORMAT), self.id))
    }

    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("cursor", "invalid_cursor", "is not a cursor this API gave out");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (at, id) = text.split_once('|').ok_or_else(bad)?;
        let at = NaiveDateTime::parse_from_str(at, TIME_FORMAT)
            .ok()
            .filter(super::clock::in_years)
            .ok_or_else(bad)?;
        let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?.hyphenated().to_string();
        Ok(Self { at, id })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Cuts a list fetched with `limit + 1` rows into a page and the cursor of its last item.
pub fn finish<R, T>(rows: Vec<R>, limit: i64, key: impl Fn(&R) -> Cursor, mut map: impl FnMut(R) -> T) -> Page<T> {
    match try_finish(rows, limit, key, |r| Ok::<_, std::convert::Infallible>(map(r))) {
        Ok(page) => page,
    }
}

/// [`finish`] with a mapping that may fail (a stored row the API cannot read).
pub fn try_finish<R, T, E>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> Cursor,
    map: impl FnMut(R) -> Result<T, E>,
) -> Result<Page<T>, E> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| key(r).encode())
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(map).collect::<Result<_, E>>()?,
        next_cursor,
    })
}

/// How many items match a filter: exact, or, where counting stopped early, at least `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub n: i64,
    pub lower_bound: bool,
}

impl Total {
    pub fn exact(n: i64) -> Self {
        Self { n, lower_bound: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000)
                .unwrap()
                .naive_utc(),
            id: "0192f1a0-0000-7000-8000-000000000000".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "!!",
            "bm9wZQ",
            &URL_SAFE_NO_PAD.encode("2020-01-01T00:00:00.000000|x"),
        ] {
            assert_eq!(Cursor::decode(bad).unwrap_err().code, "invalid_cursor", "{bad}");
        }
    }

    #[test]
    fn limit_is_bounded() {
        assert_eq!(limit(None).unwrap(), 20);
        assert_eq!(limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "x", "1.5"] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
