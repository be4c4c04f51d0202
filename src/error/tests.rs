//! Unit tests of the problem+json shape and the database error mapping.

use super::*;
use actix_web::body::to_bytes;
use serde_json::json;

async fn body_of(err: ApiError) -> (StatusCode, String, Value) {
    let res = err.error_response();
    let ctype = res.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    let status = res.status();
    let bytes = to_bytes(res.into_body()).await.unwrap();
    (status, ctype, serde_json::from_slice(&bytes).unwrap())
}

#[actix_web::test]
async fn validation_problem_has_exact_shape() {
    let (status, ctype, body) = body_of(ApiError::field("title", "too_long", "at most 80 characters")).await;
    assert_eq!(status, 400);
    assert_eq!(ctype, PROBLEM_JSON);
    assert_eq!(
        body,
        json!({
            "type": "/problems/validation_failed",
            "title": "Bad Request",
            "status": 400,
            "detail": "`title` is invalid: at most 80 characters",
            "code": "validation_failed",
            "errors": [{"field": "title", "code": "too_long", "message": "at most 80 characters"}]
        })
    );
}

#[actix_web::test]
async fn internal_error_hides_its_cause() {
    let (status, _, body) = body_of(ApiError::internal("secret stack detail")).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({
            "type": "/problems/internal_error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "Something went wrong on our side; it has been logged.",
            "code": "internal_error"
        })
    );
}

#[actix_web::test]
async fn server_errors_name_their_request() {
    use crate::request_id::in_scope;
    let (_, _, body) = in_scope("req-7".into(), body_of(ApiError::internal("cause"))).await;
    assert_eq!(body["instance"], "urn:request:req-7");
    let (_, _, body) = in_scope("req-7".into(), body_of(ApiError::unavailable("pool"))).await;
    assert_eq!(body["instance"], "urn:request:req-7");
    let (_, _, body) = in_scope("req-7".into(), body_of(ApiError::not_found("x"))).await;
    assert!(
        body.get("instance").is_none(),
        "a 4xx is about the request itself: {body}"
    );
}

#[actix_web::test]
async fn conflict_carries_current_state() {
    let err = ApiError::conflict("version_conflict", "stale").with_current(json!({"version": 3}));
    let (status, _, body) = body_of(err).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({
            "type": "/problems/version_conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "stale",
            "code": "version_conflict",
            "current": {"version": 3}
        })
    );
}

#[actix_web::test]
async fn rate_limited_sets_retry_after() {
    let res = ApiError::rate_limited(42).error_response();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers().get(RETRY_AFTER).unwrap(), "42");
}

type Busy = (fn() -> ApiError, &'static str, &'static str, &'static str);

#[actix_web::test]
async fn the_503s_of_a_busy_server_say_when_to_retry() {
    // (the error, its Retry-After, code and detail)
    let cases: [Busy; 2] = [
        (
            ApiError::statement_timeout,
            "1",
            "statement_timeout",
            "The database could not answer within this request's time budget; retry shortly.",
        ),
        (
            || ApiError::exports_busy(5),
            "5",
            "exports_busy",
            "As many exports as this server runs at once are under way; retry in 5 s.",
        ),
    ];
    for (make, retry, code, detail) in cases {
        let res = make().error_response();
        assert_eq!(res.headers().get(RETRY_AFTER).unwrap(), retry, "{code}");
        let (status, ctype, body) = body_of(make()).await;
        assert_eq!(
            (status, ctype.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, PROBLEM_JSON)
        );
        assert_eq!(
            body,
            json!({
                "type": format!("/problems/{code}"),
                "title": "Service Unavailable",
                "status": 503,
                "detail": detail,
                "code": code
            })
        );
    }
}

#[test]
fn diesel_errors_map_to_stable_codes() {
    assert_eq!(ApiError::from(diesel::result::Error::NotFound).code(), "not_found");
    assert_eq!(
        ApiError::from(diesel::result::Error::RollbackTransaction).code(),
        "internal_error"
    );
}

/// A database's own words (table, column, constraint names) never reach a client.
#[actix_web::test]
async fn database_text_never_reaches_a_body() {
    use diesel::result::{DatabaseErrorKind, Error};
    for kind in [DatabaseErrorKind::UniqueViolation, DatabaseErrorKind::Unknown] {
        let err = Error::DatabaseError(
            kind,
            Box::new("UNIQUE constraint failed: secret_table.secret_col".to_owned()),
        );
        let res = ApiError::from(err).error_response();
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(!body.contains("secret"), "{body}");
    }
}
