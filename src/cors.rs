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

/// Origins allowed by `CORS_ALLOWED_ORIGINS`; none when it is empty.
pub fn configured(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::IF_NONE_MATCH])
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

/// A CORS preflight from an origin that `CORS_ALLOWED_ORIGINS` does not list, for a route
/// that is not public.
pub fn refused_preflight(req: &ServiceRequest) -> bool {
    if !is_preflight(req) || is_public(req.path()) {
        return false;
    }
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let allowed = req
        .app_data::<State>()
        .is_some_and(|s| s.config.cors_allowed_origins.iter().any(|o| o == origin));
    !allowed
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
