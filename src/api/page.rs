//! List conventions: `{"items": [...], "next_cursor": ...}`, `limit` 1–100 (default 20) and an
//! opaque keyset cursor.

pub use crate::domain::page::{limit, Cursor, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Parses optional `limit` and `cursor`, reporting both if both are bad.
pub fn params(limit_raw: Option<&str>, cursor_raw: Option<&str>) -> Result<(i64, Option<Cursor>), ApiError> {
    let limit = limit(limit_raw);
    let cursor = cursor_raw.map(Cursor::decode).transpose();
    match (limit, cursor) {
        (Ok(l), Ok(c)) => Ok((l, c)),
        (l, c) => Err(ApiError::validation(l.err().into_iter().chain(c.err()).collect())),
    }
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
