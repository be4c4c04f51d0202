//! Client input that once reached the database or the wrong answer: years PostgreSQL cannot
//! store, NUL in bodies and paths, a trailing slash, `If-None-Match: *` on nothing, a
//! browser's preflight for the headers the API reads, and a mail budget spent on refusals.

use crate::common::{world, TestApp};
use crate::event_util::{apply, session};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

fn cursor_at(time: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{time}|0192f1a0-0000-7000-8000-000000000000"))
}

#[actix_web::test]
async fn years_outside_2000_to_2999_are_refused_before_the_database() {
    let w = world().await;
    for time in ["-5000-01-01T00:00:00.000000", "3000-01-01T00:00:00.000000"] {
        for (path, token) in [
            ("/api/v1/public/activities", None),
            ("/api/v1/activities", Some(w.org.token.as_str())),
            ("/api/v1/moderation/queue", Some(w.moderator.token.as_str())),
        ] {
            let r = w.app.get(&format!("{path}?cursor={}", cursor_at(time)), token).await;
            assert_eq!(r.status, 400, "{path} {time}: {}", r.body);
            assert_eq!(r.body["errors"][0]["code"], "invalid_cursor", "{}", r.body);
        }
    }
    let ok = w
        .app
        .get(
            &format!(
                "/api/v1/public/activities?cursor={}",
                cursor_at("2026-11-01T00:00:00.000000")
            ),
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let new = |starts_on: &str| json!({"campaign": w.campaign, "categories": ["try_practice"], "title": "年", "description": "d", "starts_on": starts_on});
    let r = w
        .app
        .post("/api/v1/activities", Some(&w.org.token), new("-5000-01-01"))
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (400, Some("starts_on")),
        "{}",
        r.body
    );
    // An approved activity's edit is a revision; it is refused the same way, so the
    // moderator never meets a revision the database cannot take.
    let a = w.app.approved(&w.org, &w.moderator, &w.campaign, "承認済み").await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/activities/{}", a["id"].as_str().unwrap()),
            Some(&w.org.token),
            json!({"version": a["version"], "ends_on": "+12026-01-01"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (400, Some("ends_on")),
        "{}",
        r.body
    );

    let campaign = |starts_on: &str, opens_at: &str| {
        json!({"slug": "years", "title": "t", "starts_on": starts_on, "ends_on": "2026-11-30",
               "registration_opens_at": opens_at, "registration_closes_at": "2026-12-01T00:00:00Z"})
    };
    for body in [
        campaign("-5000-01-01", "2026-10-01T00:00:00Z"),
        campaign("2026-11-01", "-5000-01-01T00:00:00Z"),
    ] {
        let r = w.app.post("/api/v1/admin/campaigns", Some(&w.admin.token), body).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    let listed = w.app.get("/api/v1/campaigns", None).await;
    assert!(!listed.raw.windows(7).any(|s| s == b"\"years\""), "{}", listed.body);
}

#[actix_web::test]
async fn nul_characters_in_bodies_and_paths_are_client_errors() {
    let w = world().await;
    let r = w
        .app
        .post(
            "/api/v1/activities",
            Some(&w.org.token),
            json!({"campaign": "a\u{0}", "categories": ["try_practice"], "title": "t", "description": "d"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "campaign", "{}", r.body);
    assert_eq!(r.body["errors"][0]["code"], "invalid_characters", "{}", r.body);
    let a = w.app.draft(&w.org, &w.campaign, "写し元").await;
    let r = w
        .app
        .post(
            &format!("/api/v1/activities/{}/copy", a["id"].as_str().unwrap()),
            Some(&w.org.token),
            json!({"campaign": "x\u{0}y"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = w
        .app
        .patch(
            "/api/v1/admin/campaigns/%00",
            Some(&w.admin.token),
            json!({"version": 1, "title": "t"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // Nothing was written: the draft is still the org's only activity.
    let mine = w.app.get("/api/v1/activities", Some(&w.org.token)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{}", mine.body);
}

#[actix_web::test]
async fn a_trailing_slash_is_no_resource() {
    let app = TestApp::new().await;
    for path in ["/api/v1/activities/", "/api/v1/public/activities/"] {
        let r = app.get(path, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some("not_found")),
            "{path}: {}",
            r.body
        );
        assert!(r.header("allow").is_none(), "{path}");
    }
}

#[actix_web::test]
async fn if_none_match_any_holds_only_for_what_exists() {
    let w = world().await;
    let a = w.app.approved(&w.org, &w.moderator, &w.campaign, "在る").await;
    let any = |path: &str| TestRequest::get().uri(path).insert_header(("if-none-match", "*"));
    let id = a["id"].as_str().unwrap();
    let r = w.app.send(any(&format!("/api/v1/public/activities/{id}"))).await;
    assert_eq!(r.status, 304);
    let r = w
        .app
        .send(any("/api/v1/public/activities/0192f1a0-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = w.app.send(any("/api/v1/public/activities?campaign=nope")).await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (400, Some("unknown_campaign")),
        "{}",
        r.body
    );
    let r = w.app.send(any("/api/v1/public/feed.atom?campaign=nope")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = w.app.send(any("/api/v1/public/activities")).await;
    assert_eq!(r.status, 304);
}

#[actix_web::test]
async fn browsers_may_send_every_header_the_api_reads() {
    let app = TestApp::new().await;
    let preflight = |headers: &str| {
        TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/api/v1/moderation/bulk")
            .insert_header(("origin", "https://telework.example.jp"))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header(("access-control-request-headers", headers.to_owned()))
    };
    let r = app
        .send(preflight("authorization, content-type, Idempotency-Key, x-request-id"))
        .await;
    assert_eq!(r.status, 200);
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("x-request-id"),
        "{allowed}"
    );
    let r = app.send(preflight("authorization, x-custom")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.body["detail"].as_str().unwrap().contains("x-custom"), "{}", r.body);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn refused_applications_cost_the_address_no_mail() {
    let app = TestApp::with(|c| c.mail.per_address_per_hour = 2).await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let org = app.registrant("organization").await;
    let moderator = app.staff(&admin, "moderator").await;
    let a = app.approved(&org, &moderator, &campaign, "定員のある説明会").await;
    let s = session(&app, &org, a["id"].as_str().unwrap(), json!({})).await;
    let sid = s["id"].as_str().unwrap();
    let email = "budget@example.jp";
    for _ in 0..3 {
        let r = apply(&app, "0192f1a0-0000-7000-8000-000000000000", email).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = app
            .post(
                &format!("/api/v1/public/sessions/{sid}/applications"),
                None,
                json!({"name": "", "email": email}),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    // Two mails an hour: the application and the reminder of it; then the limit.
    assert_eq!(apply(&app, sid, email).await.status, 202);
    assert_eq!(apply(&app, sid, email).await.status, 202);
    let r = apply(&app, sid, email).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited")),
        "{}",
        r.body
    );
}
