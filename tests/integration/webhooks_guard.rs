//! Webhooks that must not be reached: the SSRF guard at creation and at delivery, and a
//! webhook disabled after five days of failures.

use crate::common::TestApp;
use crate::hook_util::{round, worker, Receiver};
use crate::webhooks::{open_app, subscribe, OPEN};
use serde_json::json;
use telework_registry::config::webhooks::WebhookConfig;

#[actix_web::test]
async fn the_guard_refuses_private_addresses_at_creation_and_at_delivery() {
    let guarded = TestApp::with(|c| {
        c.webhooks = WebhookConfig {
            allow_http: true,
            allow_private: false,
        }
    })
    .await;
    let admin = guarded.admin().await;
    let receiver = Receiver::start();
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for url in [
        "http://127.0.0.1/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://[::1]/hook".to_owned(),
        format!("http://localhost:{port}/hook"),
    ] {
        let r = guarded
            .post(
                "/api/v1/admin/webhooks",
                Some(&admin.token),
                json!({"url": url, "event_types": ["activity.approved"]}),
            )
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (422, Some("url_not_allowed")),
            "{url}: {}",
            r.body
        );
    }
    let https_only = TestApp::new().await;
    let a2 = https_only.admin().await;
    let r = https_only
        .post(
            "/api/v1/admin/webhooks",
            Some(&a2.token),
            json!({"url": "http://example.jp/hook", "event_types": ["activity.approved"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // A webhook made while private addresses were allowed is refused at delivery once the
    // guard is on: nothing reaches the receiver, and the attempt says why.
    let app = open_app().await;
    let admin = app.admin().await;
    let (hook, _) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    app.post(
        &format!("/api/v1/admin/webhooks/{hook}/test"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    let strict = worker(
        &app,
        WebhookConfig {
            allow_http: true,
            allow_private: false,
        },
    );
    assert_eq!(round(&strict).await, 1);
    assert!(receiver.got().is_empty(), "the guard let a delivery through");
    let list = app
        .get(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), Some(&admin.token))
        .await;
    let attempt = &list.body["items"][0];
    assert!(attempt["status_code"].is_null());
    assert!(attempt["error"].as_str().unwrap().contains("refused"), "{attempt}");
}

#[actix_web::test]
async fn a_webhook_failing_for_five_days_is_disabled_and_audited() {
    let app = open_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start();
    let (hook, _) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    receiver.answer(&[503, 503]);
    let w = worker(&app, OPEN);
    app.post(
        &format!("/api/v1/admin/webhooks/{hook}/test"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    round(&w).await;
    let one = app
        .get(&format!("/api/v1/admin/webhooks/{hook}"), Some(&admin.token))
        .await;
    assert!(one.body["failing_since"].is_string(), "{}", one.body);
    assert_eq!(one.body["enabled"], true, "one failure does not disable");
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        let six_days_ago = telework_registry::db::now() - chrono::Duration::days(6);
        diesel::sql_query(format!(
            "UPDATE webhooks SET failing_since = '{}' WHERE id = '{hook}'",
            six_days_ago.format("%Y-%m-%d %H:%M:%S")
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    round(&w).await;
    let one = app
        .get(&format!("/api/v1/admin/webhooks/{hook}"), Some(&admin.token))
        .await;
    assert_eq!(one.body["enabled"], false, "{}", one.body);
    assert!(one.body["disabled_reason"].as_str().unwrap().contains("failed"));
    let audit = app
        .get("/api/v1/admin/audit?action=webhook_disable", Some(&admin.token))
        .await;
    let e = &audit.body["items"][0];
    assert_eq!(
        (e["actor_role"].as_str(), e["actor_id"].is_null()),
        (Some("system"), true),
        "{e}"
    );
    // Enabling it again forgets the failures.
    let v = one.body["version"].clone();
    let on = app
        .patch(
            &format!("/api/v1/admin/webhooks/{hook}"),
            Some(&admin.token),
            json!({"version": v, "enabled": true}),
        )
        .await;
    assert_eq!(
        (on.body["enabled"].as_bool(), on.body["failing_since"].is_null()),
        (Some(true), true)
    );
}

#[actix_web::test]
async fn a_redirect_is_not_followed() {
    let app = open_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start();
    let elsewhere = Receiver::start();
    let (hook, _) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    receiver.redirect(&elsewhere.url);
    app.post(
        &format!("/api/v1/admin/webhooks/{hook}/test"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    round(&worker(&app, OPEN)).await;
    assert_eq!(receiver.got().len(), 1);
    assert!(elsewhere.got().is_empty(), "the delivery followed the redirect");
    let list = app
        .get(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), Some(&admin.token))
        .await;
    let attempt = &list.body["items"][0];
    assert_eq!(
        (attempt["status_code"].as_i64(), attempt["delivery_state"].as_str()),
        (Some(302), Some("pending"))
    );
}

#[actix_web::test]
async fn an_attempt_for_a_webhook_deleted_meanwhile_is_dropped_not_failed() {
    use telework_registry::webhook::record::{attempt, Tried};
    let app = open_app().await;
    let mut conn = app.pool.get().unwrap();
    let tried = Tried {
        webhook_id: "0192f1a0-0000-7000-8000-00000000dead".into(),
        status_code: Some(200),
        latency: std::time::Duration::from_millis(3),
        error: None,
    };
    let done = telework_registry::db::transaction(&mut conn, move |c| {
        attempt(
            c,
            "0192f1a0-0000-7000-8000-00000000beef",
            tried,
            telework_registry::db::now(),
        )
    });
    assert!(done.is_ok(), "{done:?}");
}
