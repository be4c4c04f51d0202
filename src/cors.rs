//! Cross-origin access: the public listing is open to every origin (its data is public and
//! read-only, and partner pages show it through the widget); everything else answers only
//! the origins of `CORS_ALLOWED_ORIGINS`.

use crate::state::State;
use actix_cors::Cors;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

/// The routes any origin may read.
const PUBLIC_PREFIX: &str = "/api/v1/public/";

/// Headers a script may read from a response.
const EXPOSED: &str = "ETag, Retry-After, X-Request-Id";

/// Whether `path` is one of the public routes that any origin may read.
pub fn is_public(path: &str) -> bool {
    path.starts_with(PUBLIC_PREFIX)
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The methods the origins of `CORS_ALLOWED_ORIGINS` may use.
const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"];

/// The request headers (lower case) the origins of `CORS_ALLOWED_ORIGINS` may send: every
/// header the API reads.
const HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
];

/// Origins allowed by `CORS_ALLOWED_ORIGINS`; none when it is empty.
pub fn configured(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(METHODS)
        .allowed_headers(HEADERS.map(HeaderName::from_static))
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Why a CORS preflight for a route that is not public is refused, if it is: an origin that
/// `CORS_ALLOWED_ORIGINS` does not list, or a method or header it may not use. actix-cors
/// would answer these with a plain-text 400.
pub fn refused_preflight(req: &ServiceRequest) -> Option<String> {
    if !is_preflight(req) || is_public(req.path()) {
        return None;
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok())?;
    let allowed = req
        .app_data::<State>()
        .is_some_and(|s| s.config.cors_allowed_origins.iter().any(|o| o == origin));
    if !allowed {
        return Some("This origin is not allowed to call the API from a browser.".into());
    }
    let asked = |name| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let method = asked(header::ACCESS_CONTROL_REQUEST_METHOD).trim();
    if !METHODS.contains(&method) {
        return Some(format!("The method `{method}` may not be used from a browser."));
    }
    asked(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .find(|h| !h.is_empty() && !HEADERS.contains(&h.as_str()))
        .map(|h| {
            format!(
                "The header `{h}` may not be sent from a browser; the API reads only {}.",
                HEADERS.join(", ")
            )
        })
}

/// Opens the public routes to every origin: preflights are answered here (GET and HEAD,
/// with `If-None-Match`), and every response carries `Access-Control-Allow-Origin: *`
/// whether or not the request named an origin, so a shared cache cannot hand a browser a
/// copy without it. Credentials are never allowed there.
pub async fn public_any_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !is_public(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if is_preflight(&req) {
        let res = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "If-None-Match"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    Ok(res.map_into_left_body())
}
