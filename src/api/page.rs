//! List conventions: `{"items": [...], "next_cursor": ...}`, `limit` 1–100 (default 20) and an
//! opaque keyset cursor.

use crate::api::extract::parse_query;
pub use crate::domain::page::{finish, limit, try_finish, Cursor, Page, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::{ApiError, ApiResult, FieldError};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

/// Where a list page starts and how long it is.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

/// The paging parameters every list takes (for the spec; [`Listed`] parses them).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A list without filters of its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFilters {}

/// The query of a list request: its filters `F` (every parameter but `limit` and `cursor`;
/// unknown ones refused) and its paging, parsed the same way for every list. Like
/// [`crate::api::extract::Query`], its errors wait for the handler, so auth answers first.
#[derive(Debug)]
pub struct Listed<F> {
    filters: Result<F, ApiError>,
    paging: Result<Paging, Vec<FieldError>>,
}

impl<F> Listed<F> {
    /// The filters and the paging, or one problem naming every bad parameter.
    pub fn into_parts(self) -> ApiResult<(F, Paging)> {
        match self.split() {
            (Ok(f), Ok(p)) => Ok((f, p)),
            (f, p) => Err(merge(f.err(), p.err().unwrap_or_default())),
        }
    }

    /// For handlers that check their filters further: the paging's errors, if any, join
    /// the handler's own.
    pub fn split(self) -> (ApiResult<F>, Result<Paging, Vec<FieldError>>) {
        (self.filters, self.paging)
    }
}

/// One validation problem with the fields of `err` (if it has any) and `more`.
pub fn merge(err: Option<ApiError>, more: Vec<FieldError>) -> ApiError {
    match err {
        Some(e) if e.errors().is_empty() => e,
        e => ApiError::validation(
            e.map(|e| e.errors().to_vec())
                .unwrap_or_default()
                .into_iter()
                .chain(more)
                .collect(),
        ),
    }
}

impl<F: DeserializeOwned> FromRequest for Listed<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::parse(req.query_string())))
    }
}

impl<F: DeserializeOwned> Listed<F> {
    fn parse(qs: &str) -> Self {
        let (mut limits, mut cursors, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in url::form_urlencoded::parse(qs.as_bytes()) {
            match k.as_ref() {
                "limit" => limits.push(v.into_owned()),
                "cursor" => cursors.push(v.into_owned()),
                _ => rest.push((k.into_owned(), v.into_owned())),
            }
        }
        let rest = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(rest)
            .finish();
        let once = |name: &str, values: &[String]| {
            (values.len() > 1).then(|| FieldError::new(name, "invalid_parameter", "must be given at most once"))
        };
        let repeated: Vec<FieldError> = once("limit", &limits)
            .into_iter()
            .chain(once("cursor", &cursors))
            .collect();
        let paging = if repeated.is_empty() {
            params(limits.first().map(String::as_str), cursors.first().map(String::as_str))
                .map(|(limit, cursor)| Paging { limit, cursor })
                .map_err(|e| e.errors().to_vec())
        } else {
            Err(repeated)
        };
        Self {
            filters: parse_query(&rest),
            paging,
        }
    }
}

/// Parses optional `limit` and `cursor`, reporting both if both are bad.
fn params(limit_raw: Option<&str>, cursor_raw: Option<&str>) -> Result<(i64, Option<Cursor>), ApiError> {
    let limit = limit(limit_raw);
    let cursor = cursor_raw.map(Cursor::decode).transpose();
    match (limit, cursor) {
        (Ok(l), Ok(c)) => Ok((l, c)),
        (l, c) => Err(ApiError::validation(l.err().into_iter().chain(c.err()).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Filters {
        q: Option<String>,
    }

    #[test]
    fn lists_parse_paging_apart_from_their_filters() {
        let (f, p) = Listed::<Filters>::parse("q=%E5%9C%A8%E5%AE%85&limit=5")
            .into_parts()
            .unwrap();
        assert_eq!((f.q.as_deref(), p.limit, p.cursor), (Some("在宅"), 5, None));
        let err = Listed::<Filters>::parse("limit=0&cursor=x&nope=1")
            .into_parts()
            .unwrap_err();
        let fields: Vec<&str> = err.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["nope", "limit", "cursor"], "{err}");
        let err = Listed::<NoFilters>::parse("limit=1&limit=2").into_parts().unwrap_err();
        assert_eq!(err.errors()[0].field, "limit");
    }
}
