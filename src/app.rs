//! The one App factory, used by the server, the tests and the spec export alike.

use crate::api;
use crate::cors;
use crate::error::ApiError;
use crate::openapi;
use crate::request_id;
use crate::state::State;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Logger, Next};
use actix_web::web::Bytes;
use actix_web::{web, App, HttpMessage, ResponseError};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Builds the application around shared state.
pub fn build(
    state: State,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors::configured(&state.config.cors_allowed_origins);
    let (app, _) = App::new().into_utoipa_app().configure(api::configure).split_for_parts();
    app.app_data(state)
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", openapi::spec().clone())
                .config(utoipa_swagger_ui::Config::default().validator_url("none")),
        )
        .configure(crate::web::configure)
        .default_service(web::to(crate::fallback::fallback))
        .wrap(cors)
        .wrap(from_fn(cors::public_any_origin))
        .wrap(from_fn(request_context))
        .wrap(from_fn(head_as_get))
        // The access line is written after the response, outside the request's scope, so it
        // names the id itself, the way every other line ends. It names the path only: a query
        // string may hold private data (an admin searching accounts by email).
        .wrap(
            Logger::new(r#"%a "%{method}xi %U" %s %b %Dms request_id=%{X-Request-Id}o"#)
                .custom_request_replace("method", |req| req.method().to_string())
                .exclude("/healthz"),
        )
}

/// The request id of this request: the client's `X-Request-Id` when it is safe (see
/// [`request_id::accept`]), else new.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id (echoed in `X-Request-Id`, and current while the request is
/// served, so its log lines and 5xx problems carry it) and every response the security
/// headers; `/docs/` gets a Content-Security-Policy that allows only its own assets, and
/// every other response without one of its own (the pages in [`crate::web`] set theirs)
/// the strictest.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id::accept(req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()));
    let is_docs = req.path().starts_with("/docs");
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = if let Some(why) = cors::refused_preflight(&req) {
        // actix-cors would answer a plain-text 400; keep the one error shape.
        let problem = ApiError::forbidden(why);
        req.into_response(problem.error_response()).map_into_boxed_body()
    } else {
        request_id::in_scope(id.as_str().into(), next.call(req))
            .await?
            .map_into_boxed_body()
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if is_docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
            ),
        );
    } else if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    Ok(res)
}

/// The body of a HEAD answer: none, but the size of the GET body it stands for, so the
/// `Content-Length` is the one GET would send (HTTP/1 writes no body bytes for a HEAD).
struct NoBody(BodySize);

impl MessageBody for NoBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        self.0
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(None)
    }
}

/// Answers HEAD on every route as GET, once for all routes (RFC 9110 §9.3.2): the request is
/// routed as a GET and the answer keeps its status and headers but loses its body. (The
/// Logger outside still records the request as HEAD.)
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, NoBody>>, actix_web::Error> {
    if req.method() != Method::HEAD {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    req.head_mut().method = Method::GET;
    let res = next.call(req).await?;
    Ok(res.map_body(|_, body| NoBody(body.size())).map_into_right_body())
}
