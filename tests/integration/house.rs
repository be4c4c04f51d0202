//! Holes found in a review: each test here failed before its fix.

use crate::common::{world, TestApp};
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use serde_json::json;

/// A failing campaign lookup is the server's fault, never a client's `unknown_campaign`.
#[actix_web::test]
async fn a_failing_campaign_lookup_is_not_a_client_error() {
    let w = world().await;
    let app = &w.app;
    app.pool
        .get()
        .unwrap()
        .batch_execute("ALTER TABLE campaigns RENAME TO campaigns_gone")
        .unwrap();
    let uri = format!("/api/v1/public/activities?campaign={}", w.campaign);
    let r = app.send_raw(TestRequest::get().uri(&uri)).await;
    // A broken schema is the server's fault: a logged 500 (an unreachable database is a 503).
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (500, Some("internal_error")),
        "{}",
        r.body
    );
    let req = TestRequest::post()
        .uri("/api/v1/activities")
        .insert_header(("Authorization", format!("Bearer {}", w.org.token)))
        .set_json(json!({"campaign": w.campaign, "categories": ["try_practice"], "title": "t", "description": "d"}));
    let r = app.send_raw(req).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (500, Some("internal_error")),
        "{}",
        r.body
    );
}

/// Campaign changes carry a version (a stale one is a 409) and are audited.
#[actix_web::test]
async fn campaigns_are_versioned_and_audited() {
    let w = world().await;
    let (app, admin) = (&w.app, &w.admin);
    let path = format!("/api/v1/admin/campaigns/{}", w.campaign);
    let r = app.get("/api/v1/campaigns", None).await;
    let c = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == w.campaign.as_str())
        .unwrap()
        .clone();
    assert_eq!(c["version"], 1, "{c}");
    let r = app
        .patch(&path, Some(&admin.token), json!({"version": 1, "title": "改題 1"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let r = app
        .patch(&path, Some(&admin.token), json!({"version": 1, "title": "改題 2"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["code"], "version_conflict");
    assert_eq!(r.body["current"]["title"], "改題 1");
    let r = app
        .patch(&path, Some(&admin.token), json!({"title": "no version"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    let r = app
        .get("/api/v1/admin/audit?action=campaign_create", Some(&admin.token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = r.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", r.body);
    assert_eq!(events[0]["campaign"], w.campaign.as_str());
    assert_eq!(events[0]["actor_id"], admin.id.as_str());
    let r = app
        .get("/api/v1/admin/audit?action=campaign_update", Some(&admin.token))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.body);
}

/// Two admins editing one campaign at once: exactly one edit wins, the other hears 409.
#[actix_web::test]
async fn concurrent_campaign_edits_are_not_lost() {
    let w = world().await;
    let (app, admin) = (&w.app, &w.admin);
    let path = format!("/api/v1/admin/campaigns/{}", w.campaign);
    let edits = (0..8).map(|i| {
        app.patch(
            &path,
            Some(&admin.token),
            json!({"version": 1, "title": format!("題 {i}")}),
        )
    });
    let results = futures_util::future::join_all(edits).await;
    let won: Vec<_> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 200 || r.status == 409));
    let r = app.get("/api/v1/campaigns", None).await;
    let c = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == w.campaign.as_str())
        .unwrap()
        .clone();
    assert_eq!(c["title"], won[0].body["title"]);
    assert_eq!(c["version"], 2);
}

/// The admin account search ignores letter case on both backends.
#[actix_web::test]
async fn account_search_ignores_letter_case() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let r = app
        .post(
            "/api/v1/admin/accounts",
            Some(&admin.token),
            json!({"email": "Mixed.Case@Example.jp", "password": "correct horse battery", "role": "moderator", "display_name": "Mixed Case Moderator"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for q in ["mixed%20case", "MIXED", "Case%20Mod", "mixed.case@"] {
        let r = app
            .get(&format!("/api/v1/admin/accounts?q={q}"), Some(&admin.token))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "q={q}: {}", r.body);
    }
}
