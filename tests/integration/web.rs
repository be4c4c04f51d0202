//! What the binary serves to people: the widget script, the embed page and the landing page
//! (their headers and escaping; the browser tests in clients/browser drive them), and CORS
//! for the public routes, which any origin may read.

use crate::common::TestApp;
use actix_web::http::Method;
use actix_web::test::TestRequest;

fn csp(r: &crate::common::Resp) -> &str {
    r.header("content-security-policy").unwrap_or_default()
}

#[actix_web::test]
async fn the_widget_script_is_served_with_an_etag() {
    let app = TestApp::new().await;
    let r = app.send(TestRequest::get().uri("/widget.js")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(r.header("cross-origin-resource-policy"), Some("cross-origin"));
    let body = String::from_utf8_lossy(&r.raw);
    assert!(body.contains("customElements.define(\"telework-activities\"") && body.contains("東京都"));
    assert!(
        !body.contains("innerHTML"),
        "the widget sets text with textContent only"
    );
    let etag = r.header("etag").unwrap().to_owned();
    let again = app
        .send_raw(
            TestRequest::get()
                .uri("/widget.js")
                .insert_header(("if-none-match", etag.as_str())),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.raw.is_empty());
}

#[actix_web::test]
async fn the_embed_page_may_be_framed_by_the_configured_origins() {
    let app = TestApp::new().await;
    let r = app
        .send(TestRequest::get().uri("/embed?category=learn_discuss&q=%22%3E%3Cscript%3E&lang=en&x=1"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(csp(&r).ends_with("frame-ancestors *"), "{}", csp(&r));
    assert!(csp(&r).contains("script-src 'self'") && csp(&r).contains("connect-src 'self'"));
    let page = String::from_utf8_lossy(&r.raw);
    assert!(
        page.contains("<telework-activities category=\"learn_discuss\" q=\"&quot;&gt;&lt;script&gt;\" lang=\"en\">"),
        "{page}"
    );
    let only = TestApp::with(|c| c.embed_frame_ancestors = "https://partner.example.jp".into()).await;
    let r = only.send(TestRequest::get().uri("/embed")).await;
    assert!(
        csp(&r).ends_with("frame-ancestors https://partner.example.jp"),
        "{}",
        csp(&r)
    );
}

#[actix_web::test]
async fn the_landing_page_shows_the_widget_and_links_to_the_docs() {
    let app = TestApp::new().await;
    let r = app.send(TestRequest::get().uri("/")).await;
    assert_eq!(r.status, 200);
    assert!(csp(&r).ends_with("frame-ancestors 'none'"), "{}", csp(&r));
    let page = String::from_utf8_lossy(&r.raw);
    for part in [
        "<telework-activities",
        "<script src=\"widget.js\" async>",
        "href=\"docs/\"",
        "&lt;script src=",
    ] {
        assert!(page.contains(part), "{part} missing");
    }
    let head = app.send_raw(TestRequest::default().method(Method::HEAD).uri("/")).await;
    assert_eq!((head.status, head.raw.len()), (200, 0));
}

#[actix_web::test]
async fn the_pages_answer_only_get_and_head_and_stay_out_of_the_spec() {
    let app = TestApp::new().await;
    for path in ["/", "/embed", "/widget.js"] {
        let r = app.send(TestRequest::post().uri(path)).await;
        assert_eq!(r.status, 405, "{path}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{path}");
        assert!(
            !telework_registry::openapi::spec().paths.paths.contains_key(path),
            "{path}"
        );
    }
    // The JSON API keeps the strictest policy.
    let api = app.send(TestRequest::get().uri("/api/v1/categories")).await;
    assert_eq!(csp(&api), "default-src 'none'; frame-ancestors 'none'");
}

#[actix_web::test]
async fn public_routes_are_open_to_any_origin_and_the_rest_are_not() {
    let app = TestApp::new().await;
    for uri in ["/api/v1/public/activities?limit=1", "/api/v1/public/stats"] {
        let r = app
            .send(
                TestRequest::get()
                    .uri(uri)
                    .insert_header(("origin", "https://partner.example")),
            )
            .await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{uri}");
        assert!(r.header("access-control-expose-headers").unwrap().contains("ETag"));
        let without_origin = app.send(TestRequest::get().uri(uri)).await;
        assert_eq!(without_origin.header("access-control-allow-origin"), Some("*"), "{uri}");
    }
    let bad = app
        .send(
            TestRequest::get()
                .uri("/api/v1/public/activities?limit=0")
                .insert_header(("origin", "https://p.example")),
        )
        .await;
    assert_eq!(
        (bad.status, bad.header("access-control-allow-origin")),
        (400, Some("*"))
    );
    let preflight = app
        .send(
            TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/api/v1/public/activities")
                .insert_header(("origin", "https://partner.example"))
                .insert_header(("access-control-request-method", "GET"))
                .insert_header(("access-control-request-headers", "if-none-match")),
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(preflight.header("access-control-allow-methods"), Some("GET, HEAD"));
    assert!(preflight.header("access-control-allow-credentials").is_none());
    let private = app
        .send(
            TestRequest::get()
                .uri("/api/v1/campaigns")
                .insert_header(("origin", "https://partner.example")),
        )
        .await;
    assert!(private.header("access-control-allow-origin").is_none());
}
