//! HEAD answers every GET route as GET would, with the same status and headers and no body
//! (RFC 9110 §9.3.2), as the `Allow` header of a 405 promises.

use crate::common::{Resp, TestApp};
use crate::proc_util::Server;
use actix_web::http::Method;
use actix_web::test::TestRequest;

/// The headers of `r` that must agree between GET and HEAD (all but the per-request id).
fn headers(r: &Resp) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| k.as_str() != "x-request-id")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    v.sort();
    v
}

/// A path, the request headers to send with it, and the status GET answers.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);

async fn get_and_head(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> (Resp, Resp) {
    let build = |method: Method| {
        let mut req = TestRequest::default().method(method).uri(path);
        for (k, v) in extra {
            req = req.insert_header((*k, *v));
        }
        req
    };
    let get = app.send_raw(build(Method::GET)).await;
    let head = app.send_raw(build(Method::HEAD)).await;
    (get, head)
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    app.open_campaign(&admin).await;
    let bearer = format!("Bearer {}", admin.token);
    let listing = app.get("/api/v1/public/activities", None).await;
    let etag = listing.header("etag").expect("an etag").to_owned();

    let cases: Vec<Case> = vec![
        ("/healthz", vec![], 200),
        ("/readyz", vec![], 200),
        ("/openapi.json", vec![], 200),
        ("/docs/", vec![], 200),
        ("/api/v1/campaigns", vec![], 200),
        ("/api/v1/categories", vec![], 200),
        ("/api/v1/public/activities", vec![], 200),
        ("/api/v1/public/activities", vec![("if-none-match", etag.as_str())], 304),
        ("/api/v1/public/stats", vec![], 200),
        ("/api/v1/public/feed.atom", vec![], 200),
        ("/api/v1/me", vec![("authorization", bearer.as_str())], 200),
        ("/api/v1/me", vec![], 401),
        ("/api/v1/public/activities/not-a-uuid", vec![], 400),
        ("/api/v1/nothing-here", vec![], 404),
        // A POST-only route: HEAD is as unknown to it as GET.
        ("/api/v1/auth/login", vec![], 405),
    ];
    let mut wrong = Vec::new();
    for (path, extra, status) in &cases {
        let (get, head) = get_and_head(&app, path, extra).await;
        let what = format!("HEAD {path} {extra:?}");
        if get.status != *status {
            wrong.push(format!("{what}: GET answered {} (expected {status})", get.status));
        }
        if head.status != get.status {
            wrong.push(format!("{what}: {} where GET answered {}", head.status, get.status));
            continue;
        }
        if headers(&head) != headers(&get) {
            wrong.push(format!(
                "{what}: headers {:?} differ from GET's {:?}",
                headers(&head),
                headers(&get)
            ));
        }
        if !head.raw.is_empty() {
            wrong.push(format!("{what}: a body of {} bytes", head.raw.len()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// On the wire: HEAD carries the Content-Length GET would send and no body, so the next
/// request on the same kept-alive connection is read correctly.
#[test]
fn head_on_the_wire_has_the_get_length_and_no_body() {
    let db = crate::common::TestDb::new();
    let server = Server::start(&db.url, &[]);
    let agent = crate::proc_util::agent();
    for path in [
        "/healthz",
        "/api/v1/categories",
        "/openapi.json",
        "/api/v1/nothing-here",
    ] {
        let get = match agent.get(&server.url(path)).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let (get_status, get_body) = (get.status(), get.into_string().unwrap());
        let head = match agent.head(&server.url(path)).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("HEAD {path}: {e}"),
        };
        assert_eq!(head.status(), get_status, "HEAD {path}");
        let length = head.header("content-length").map(str::to_owned);
        assert_eq!(length, Some(get_body.len().to_string()), "HEAD {path}");
    }
    // Every answer above came over one connection; it is still in step.
    assert_eq!(server.api().get("/healthz", None).status, 200);
}
