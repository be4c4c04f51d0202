//! Request extractors whose every failure is a problem+json 4xx naming what is wrong:
//! [`Json`] (media type, 64 KiB limit, unknown fields, wrong types with their field path),
//! [`Query`] (unknown or repeated parameters) and [`parse_id`] for UUIDs in paths.

use crate::error::{ApiError, FieldError};
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON request body. Its error is kept until the handler asks for the value, so that
/// authentication and role checks (other extractors) always answer first.
#[derive(Debug)]
pub struct Json<T>(Result<T, ApiError>);

impl<T> Json<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json::<T>(req, payload);
        Box::pin(async move { Ok(Json(body.await)) })
    }
}

fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let declared_len = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(ApiError::payload_too_large(JSON_LIMIT));
            }
            if !is_json {
                return Err(ApiError::unsupported_media_type());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::bad_request("invalid_body", format!("The body could not be read: {e}")))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(ApiError::payload_too_large(JSON_LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body)
        })
    }
}

/// Parses a JSON body; syntax errors are `malformed_json`, shape errors `validation_failed`
/// with the path of the field at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "malformed_json",
            "The body must be a JSON object.",
        ));
    }
    if has_nul_escape(body) {
        return Err(nul_in(body));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

/// Whether a JSON text holds `\u0000` as an escape (not an escaped backslash before `u0000`):
/// the only way a NUL reaches a JSON string. PostgreSQL refuses text holding NUL, so such a
/// value would fail there as a server error; it is refused here, on both backends.
fn has_nul_escape(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The 400 for a body with a NUL in a string, naming a field that holds one (keys in
/// sorted order; none, where only a duplicate key that JSON parsing drops held it).
fn nul_in(body: &[u8]) -> ApiError {
    fn find(v: &serde_json::Value, path: String) -> Option<String> {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        match v {
            serde_json::Value::String(s) => s.contains('\0').then_some(path),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| find(item, format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                if k.contains('\0') {
                    Some(join(&k.replace('\0', "")))
                } else {
                    find(item, join(k))
                }
            }),
            _ => None,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => ApiError::field(
            &find(&v, String::new()).unwrap_or_default(),
            "invalid_characters",
            "must not contain NUL characters",
        ),
        Err(e) => json_error(".", &e),
    }
}

fn json_error(path: &str, err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {err}"))
        }
        Category::Data => {
            let msg = err.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            let named = msg.split('`').nth(1).unwrap_or("");
            let join = |name: &str| match path {
                "." | "" => name.to_owned(),
                p => format!("{p}.{name}"),
            };
            let (field, code) = if msg.starts_with("missing field") {
                (join(named), "required")
            } else if msg.starts_with("unknown field") {
                // The path ends with the unknown key, except under `flatten`.
                (
                    if path == "." { named.to_owned() } else { path.to_owned() },
                    "unknown_field",
                )
            } else if path == "." && msg.starts_with("invalid type") {
                return ApiError::bad_request("malformed_json", format!("The body must be a JSON object: {msg}"));
            } else {
                (path.to_owned(), "invalid_type")
            };
            ApiError::validation(vec![FieldError::new(field, code, msg)])
        }
    }
}

/// Query parameters. Repeated keys fill `Vec` fields; unknown keys are refused. Like
/// [`Json`], its error waits for the handler so that auth answers first.
#[derive(Debug)]
pub struct Query<T>(Result<T, ApiError>);

impl<T> Query<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Query(parse_query(req.query_string()))))
    }
}

pub fn parse_query<T: DeserializeOwned>(qs: &str) -> Result<T, ApiError> {
    // PostgreSQL refuses text holding NUL; such a value would reach it as a filter and fail
    // there as a server error (a campaign slug `%00`), so it is refused here, on both backends.
    if let Some((key, _)) =
        url::form_urlencoded::parse(qs.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        let field = key.replace('\0', "");
        return Err(ApiError::field(
            &field,
            "invalid_characters",
            "must not contain NUL characters",
        ));
    }
    serde_html_form::from_str(qs).map_err(|e| {
        let msg = e.to_string();
        let named = msg.split('`').nth(1).unwrap_or("query").to_owned();
        let code = if msg.starts_with("unknown field") {
            "unknown_parameter"
        } else {
            "invalid_parameter"
        };
        ApiError::validation(vec![FieldError::new(named, code, msg)])
    })
}

/// Parses a UUID from a path segment; anything else is a 400 naming the parameter.
pub fn parse_id(name: &str, raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::field(name, "invalid_uuid", format!("`{raw}` is not a UUID")))
}

/// `Some(None)` for an explicit `null`, `Some(Some(v))` for a value, `None` when absent:
/// use with `#[serde(default, deserialize_with = "nullable")]` on PATCH fields.
pub fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Some(Option::deserialize(de)?))
}

use serde::Deserialize;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        title: String,
        #[allow(dead_code)]
        inner: Option<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        n: u32,
    }

    fn err_of(body: &str) -> (String, Vec<FieldError>) {
        let e = parse_json::<Body>(body.as_bytes()).unwrap_err();
        (e.code().to_owned(), e.errors().to_vec())
    }

    #[test]
    fn json_errors_name_their_field() {
        assert_eq!(err_of("{").0, "malformed_json");
        assert_eq!(err_of("[1]").0, "malformed_json");
        assert_eq!(err_of(r#"{"title":"a"} x"#).0, "malformed_json");
        let (code, errs) = err_of(r#"{"title": 5}"#);
        assert_eq!(
            (code.as_str(), errs[0].field.as_str(), errs[0].code.as_str()),
            ("validation_failed", "title", "invalid_type")
        );
        let (_, errs) = err_of(r#"{"title":"a","bogus":1}"#);
        assert_eq!(
            (errs[0].field.as_str(), errs[0].code.as_str()),
            ("bogus", "unknown_field")
        );
        let (_, errs) = err_of(r#"{}"#);
        assert_eq!((errs[0].field.as_str(), errs[0].code.as_str()), ("title", "required"));
        let (_, errs) = err_of(r#"{"title":"a","inner":{"n":-1}}"#);
        assert_eq!(errs[0].field, "inner.n");
    }

    #[test]
    fn json_strings_with_nul_are_refused_by_their_field() {
        let (code, errs) = err_of(r#"{"title":"a\u0000b"}"#);
        assert_eq!(
            (code.as_str(), errs[0].field.as_str(), errs[0].code.as_str()),
            ("validation_failed", "title", "invalid_characters")
        );
        let (_, errs) = err_of(r#"{"title":"a","inner":{"n":1,"x":["ok","\u0000"]}}"#);
        assert_eq!(errs[0].field, "inner.x[1]");
        // An escaped backslash before `u0000` is text, not a NUL.
        assert!(parse_json::<Body>(br#"{"title":"a\\u0000"}"#).is_ok());
        // A body that is not JSON stays malformed_json.
        assert_eq!(err_of(r#"{"title":"\u0000"#).0, "malformed_json");
    }

    #[test]
    fn path_ids_must_be_uuids() {
        assert!(parse_id("id", "0192f1a0-0000-7000-8000-000000000000").is_ok());
        let e = parse_id("id", "not-a-uuid").unwrap_err();
        assert_eq!(e.errors()[0].field, "id");
    }

    #[test]
    fn query_values_with_nul_are_refused() {
        #[derive(Debug, Deserialize)]
        struct Q {
            #[allow(dead_code)]
            campaign: Option<String>,
        }
        let e = parse_query::<Q>("campaign=a%00b").unwrap_err();
        assert_eq!(
            (e.errors()[0].field.as_str(), e.code()),
            ("campaign", "validation_failed")
        );
        assert_eq!(e.errors()[0].code, "invalid_characters");
        assert!(parse_query::<Q>("campaign=%E3%83%86").is_ok());
    }
}
