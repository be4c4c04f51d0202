//! The one error type of the API and its RFC 9457 `application/problem+json` wire shape.
//!
//! Every failure, including actix's own extractor errors, unknown routes and database faults,
//! becomes an [`ApiError`] with a stable snake_case `code`. A 5xx logs its cause and sends a
//! generic body that names the request (`instance`).

use crate::db;
use actix_web::http::header::{HeaderName, HeaderValue, ALLOW, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

pub use crate::domain::FieldError;

/// The body of every error response (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP reason phrase of `status`.
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// A stable machine code such as `validation_failed`, `version_conflict`, `not_found`.
    pub code: String,
    /// For `validation_failed`: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `version_conflict` and `invalid_transition`: the resource as it is now, in the
    /// view the caller reads it in (an activity, or a campaign).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = current_schema)]
    pub current: Option<Value>,
    /// For server errors: `urn:request:{id}` with the response's `X-Request-Id`; quote it in reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// `Problem.current`: one of the views a conflict carries, named by their schemas (the API
/// types live above this module).
fn current_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{Object, OneOfBuilder, Type};
    use utoipa::openapi::Ref;
    OneOfBuilder::new()
        .item(Ref::from_schema_name("ActivityOut"))
        .item(Ref::from_schema_name("CampaignOut"))
        .item(Object::with_type(Type::Null))
        .description(Some(
            "For `version_conflict` and `invalid_transition`: the resource as it is now (an activity or a campaign).",
        ))
        .into()
}

/// An error answered as a problem+json response (boxed, so `Result`s stay small).
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    current: Option<Value>,
    headers: Vec<(HeaderName, String)>,
    /// Logged for server errors, never sent.
    cause: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            current: None,
            headers: Vec::new(),
            cause: None,
        }))
    }

    /// 400 `validation_failed` listing every invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("`{}` is invalid: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        let mut err = Self::new(StatusCode::BAD_REQUEST, "validation_failed", detail);
        err.0.errors = errors;
        err
    }

    /// 400 `validation_failed` for a single field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            .with_header(actix_web::http::header::WWW_AUTHENTICATE, "Bearer")
    }

    /// The one answer to a failed login, whether or not the email exists.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The email or password is wrong.",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 410: the resource was here and is withdrawn for good.
    pub fn gone(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, code, detail)
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("This resource allows {allow}."),
        )
        .with_header(ALLOW, allow)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body exceeds {limit} bytes."),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The request body must be application/json.",
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many attempts from this address; retry in {retry_after_secs} s."),
        )
        .with_header(RETRY_AFTER, &retry_after_secs.to_string())
    }

    /// 503: the database cannot answer now; the client may retry.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service cannot reach its database right now; retry shortly.",
        )
        .with_header(RETRY_AFTER, "1");
        err.0.cause = Some(cause.into());
        err
    }

    /// 503: the request's database work ran out of its time budget (`STATEMENT_TIMEOUT_MS`)
    /// and was stopped; the client may retry.
    pub fn statement_timeout() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "statement_timeout",
            "The database could not answer within this request's time budget; retry shortly.",
        )
        .with_header(RETRY_AFTER, "1")
    }

    /// 503: every slot for public exports is taken (`EXPORT_CONCURRENCY`); retry later.
    pub fn exports_busy(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "exports_busy",
            format!("As many exports as this server runs at once are under way; retry in {retry_after_secs} s."),
        )
        .with_header(RETRY_AFTER, &retry_after_secs.to_string())
    }

    /// 500 with a generic body; the cause goes to the log only.
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; it has been logged.",
        );
        err.0.cause = Some(cause.into());
        err
    }

    /// Attaches the current state of the resource (for conflicts).
    pub fn with_current(mut self, current: impl Serialize) -> Self {
        self.0.current = serde_json::to_value(current).ok();
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        self.0.headers.push((name, value.to_owned()));
        self
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// A 5xx: the registry's failure, not the client's.
    pub fn is_server_error(&self) -> bool {
        self.0.status.is_server_error()
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status.as_u16()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The wire body of this error.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.0.code),
            title: self.0.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.0.status.as_u16(),
            detail: self.0.detail.clone(),
            code: self.0.code.to_owned(),
            errors: self.0.errors.clone(),
            current: self.0.current.clone(),
            instance: self
                .0
                .status
                .is_server_error()
                .then(crate::request_id::current)
                .flatten()
                .map(|id| format!("urn:request:{id}")),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status.as_u16(), self.0.code, self.0.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.0.cause {
            if self.0.status.is_server_error() {
                log::error!("{} {}: {}", self.0.status.as_u16(), self.0.code, cause);
            }
        }
        let mut res = HttpResponse::build(self.0.status);
        res.content_type(PROBLEM_JSON);
        for (name, value) in &self.0.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), value));
            }
        }
        res.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

/// The one mapping from database failures to problems: by kind and by the unique index a
/// write ran into, never by the database's own text (which goes to the log only).
impl From<db::Error> for ApiError {
    fn from(err: db::Error) -> Self {
        use db::{Error, Unique};
        match err {
            Error::NotFound => Self::not_found("No such resource."),
            Error::Duplicate(Unique::AccountEmail) => {
                Self::conflict("email_taken", "An account with this email already exists.")
            }
            Error::Duplicate(Unique::AccountCorporateNumber) => Self::conflict(
                "corporate_number_taken",
                "An account for this corporate number (法人番号) already exists; sign in to it instead.",
            ),
            Error::Duplicate(Unique::CampaignSlug) => {
                Self::conflict("slug_taken", "A campaign with this slug already exists.")
            }
            Error::Duplicate(Unique::Other) => {
                Self::conflict("already_exists", "A resource with the same unique value exists.")
            }
            Error::Unavailable(cause) => Self::unavailable(cause),
            Error::Timeout => Self::statement_timeout(),
            Error::Corrupt(cause) => Self::internal(format!("unreadable data in the database: {cause}")),
            Error::Other(cause) => Self::internal(cause),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        db::Error::from(err).into()
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(err: r2d2::Error) -> Self {
        db::Error::from(err).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::internal(format!("blocking task: {err}"))
    }
}

#[cfg(test)]
mod tests;
