//! The feed, statistics, CORS and paging under change.

use crate::common::{world, TestApp};
use crate::public::{publish, titles};
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn atom_feed_parses() {
    let w = world().await;
    publish(&w, &w.org, json!({"categories": ["try_practice"], "title": "フィード<&>テスト", "description": "説明 & 詳細", "url": "https://example.jp/x?a=1&b=2"})).await;
    let r = w
        .app
        .get(&format!("/api/v1/public/feed.atom?campaign={}", w.campaign), None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("application/atom+xml"));
    let feed = feed_rs::parser::parse(r.raw.as_ref()).expect("a valid feed");
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.title.as_ref().unwrap().content, "フィード<&>テスト");
    assert_eq!(entry.links[0].href, "https://example.jp/x?a=1&b=2");
    assert_eq!(entry.categories[0].term, "try_practice");
    assert_eq!(
        w.app.get("/api/v1/public/feed.atom?category=bad", None).await.status,
        400
    );
}

#[actix_web::test]
async fn stats_count_approved_by_dimension() {
    let w = world().await;
    publish(
        &w,
        &w.org,
        json!({"categories": ["try_practice", "learn_discuss"], "title": "a", "description": "d", "prefecture": "13"}),
    )
    .await;
    publish(
        &w,
        &w.ind,
        json!({"categories": ["try_practice"], "title": "b", "description": "d"}),
    )
    .await;
    let s = w.app.get("/api/v1/public/stats", None).await;
    let c = &s.body["items"][0];
    assert_eq!(c["campaign"], w.campaign.as_str());
    assert_eq!(c["total"], 2);
    assert_eq!(c["by_category"], json!({"learn_discuss": 1, "try_practice": 2}));
    assert_eq!(c["by_kind"], json!({"individual": 1, "organization": 1}));
    assert_eq!(c["by_prefecture"], json!({"13": 1, "none": 1}));
    assert_eq!(c["by_industry"], json!({"G": 1}));
}

#[actix_web::test]
async fn cors_allows_configured_origins_only_off_the_public_routes() {
    let app = TestApp::new().await;
    let ok = app
        .send(
            TestRequest::get()
                .uri("/api/v1/campaigns")
                .insert_header(("origin", "https://telework.example.jp")),
        )
        .await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://telework.example.jp")
    );
    let preflight = app
        .send(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/campaigns")
                .insert_header(("origin", "https://evil.example"))
                .insert_header(("access-control-request-method", "GET")),
        )
        .await;
    assert_eq!(preflight.status, 403);
    assert!(preflight.header("access-control-allow-origin").is_none());
    let allowed = app
        .send(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/campaigns")
                .insert_header(("origin", "https://telework.example.jp"))
                .insert_header(("access-control-request-method", "GET")),
        )
        .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://telework.example.jp")
    );
    let other = app
        .send(
            TestRequest::get()
                .uri("/api/v1/campaigns")
                .insert_header(("origin", "https://evil.example")),
        )
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn pagination_is_stable_while_new_approvals_arrive() {
    let w = world().await;
    for i in 0..6 {
        publish(
            &w,
            &w.org,
            json!({"categories": ["try_practice"], "title": format!("既存{i}"), "description": "d"}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/public/activities?limit=2".to_owned();
    let mut round = 0;
    loop {
        let r = w.app.get(&url, None).await;
        seen.extend(titles(&r.body));
        // A new approval lands between every two pages.
        round += 1;
        publish(
            &w,
            &w.ind,
            json!({"categories": ["learn_discuss"], "title": format!("新着{round}"), "description": "d"}),
        )
        .await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(120)).await;
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/public/activities?limit=2&cursor={c}"),
            None => break,
        }
    }
    // The first page was taken before any new approval: the walk saw exactly the six
    // existing items, each once, newest first.
    assert_eq!(seen, (0..6).rev().map(|i| format!("既存{i}")).collect::<Vec<_>>());
}
