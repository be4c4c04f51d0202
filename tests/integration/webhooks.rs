//! Webhooks: subscriptions, signed events for every workflow action, retries until a
//! receiver recovers, replays under the same webhook-id, secret rotation, and that no private
//! field is ever delivered.

use crate::common::{TestApp, User};
use crate::hook_util::{package_verify, round, spec_verify, worker, Got, Receiver};
use serde_json::{json, Value};
use telework_registry::config::webhooks::WebhookConfig;

pub(crate) const OPEN: WebhookConfig = WebhookConfig {
    allow_http: true,
    allow_private: true,
};

const ALL_ACTIVITY_EVENTS: [&str; 8] = [
    "activity.submitted",
    "activity.approved",
    "activity.rejected",
    "activity.unpublished",
    "activity.withdrawn",
    "activity.revision_submitted",
    "activity.revision_approved",
    "activity.revision_rejected",
];

pub(crate) async fn open_app() -> TestApp {
    TestApp::with(|c| c.webhooks = OPEN).await
}

/// Subscribes `url`; returns (id, secret).
pub(crate) async fn subscribe(app: &TestApp, admin: &User, url: &str, events: &[&str]) -> (String, String) {
    let r = app
        .post(
            "/api/v1/admin/webhooks",
            Some(&admin.token),
            json!({"url": url, "event_types": events, "description": "県の集計ダッシュボード"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (r.body["id"].as_str().unwrap().to_owned(), secret)
}

fn verified(secret: &str, got: &Got) -> bool {
    let ours = spec_verify(secret, got);
    if let Some(theirs) = package_verify(secret, got) {
        assert_eq!(ours, theirs, "the two verifiers disagree on {got:?}");
    }
    ours
}

async fn step(app: &TestApp, who: &User, id: &str, action: &str, version: &Value, extra: Value) -> Value {
    let mut body = json!({"version": version});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let path = if ["approve", "reject", "unpublish"].contains(&action) {
        format!("/api/v1/moderation/activities/{id}/{action}")
    } else {
        format!("/api/v1/activities/{id}/{action}")
    };
    app.act(who, &path, body).await
}

fn reason() -> Value {
    json!({"reason_code": "incomplete", "reason": "開催日を書いてください。"})
}

#[actix_web::test]
async fn every_action_sends_its_signed_event_and_no_private_field() {
    let app = open_app().await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let org = app.registrant("organization").await;
    let moderator = app.staff(&admin, "moderator").await;
    let receiver = Receiver::start();
    let (hook, secret) = subscribe(&app, &admin, &receiver.url, &ALL_ACTIVITY_EVENTS).await;

    // Never listed again.
    let listed = app.get("/api/v1/admin/webhooks", Some(&admin.token)).await;
    assert_eq!(listed.status, 200);
    assert!(!String::from_utf8_lossy(&listed.raw).contains(&secret));
    let one = app
        .get(&format!("/api/v1/admin/webhooks/{hook}"), Some(&admin.token))
        .await;
    assert_eq!(one.body["event_types"].as_array().unwrap().len(), 8);
    assert!(one.body.get("secret").is_none());

    let d = app.draft(&org, &campaign, "全社テレワーク・デイ").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let a = step(&app, &org, &id, "submit", &d["version"], json!({})).await;
    let a = step(&app, &moderator, &id, "reject", &a["version"], reason()).await;
    let a = step(&app, &org, &id, "submit", &a["version"], json!({})).await;
    let a = step(&app, &moderator, &id, "approve", &a["version"], json!({})).await;
    let edit = |title: &'static str, v: Value| {
        let app = &app;
        let (org, id) = (&org, &id);
        async move {
            let r = app
                .patch(
                    &format!("/api/v1/activities/{id}"),
                    Some(&org.token),
                    json!({"version": v, "title": title}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    let a = edit("まだ審査中の題", a["version"].clone()).await;
    let a = step(&app, &moderator, &id, "reject", &a["version"], reason()).await;
    let a = edit("改訂した題", a["version"].clone()).await;
    let a = step(&app, &moderator, &id, "approve", &a["version"], json!({})).await;
    let approved_view = app.get(&format!("/api/v1/public/activities/{id}"), None).await.body;
    step(&app, &moderator, &id, "unpublish", &a["version"], reason()).await;
    let d2 = app.draft(&org, &campaign, "取り下げる活動").await;
    let id2 = d2["id"].as_str().unwrap().to_owned();
    let b = step(&app, &org, &id2, "submit", &d2["version"], json!({})).await;
    step(&app, &org, &id2, "withdraw", &b["version"], json!({})).await;

    let w = worker(&app, OPEN);
    while round(&w).await > 0 {}
    // Sent concurrently, so in no fixed order; the webhook-ids are time-ordered.
    let mut got = receiver.got();
    got.sort_by(|a, b| a.header("webhook-id").cmp(b.header("webhook-id")));
    let types: Vec<String> = got
        .iter()
        .map(|g| g.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "activity.submitted",
            "activity.rejected",
            "activity.submitted",
            "activity.approved",
            "activity.revision_submitted",
            "activity.revision_rejected",
            "activity.revision_submitted",
            "activity.revision_approved",
            "activity.unpublished",
            "activity.submitted",
            "activity.withdrawn",
        ]
        .map(String::from)
    );
    // A retry can deliver them out of order; their timestamps give the order of the steps.
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = got
        .iter()
        .map(|g| chrono::DateTime::parse_from_rfc3339(g.json()["timestamp"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|t| t[0] < t[1]), "{times:?}");
    let mut ids = std::collections::HashSet::new();
    for g in &got {
        assert!(verified(&secret, g), "a signature did not verify: {g:?}");
        assert_eq!(g.path, "/hook");
        assert!(g.header("webhook-id").starts_with("msg_"));
        assert!(ids.insert(g.header("webhook-id").to_owned()), "webhook-ids repeat");
        let ts: i64 = g.header("webhook-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 300);
        assert_eq!(g.header("content-type"), "application/json");
        let body = g.json();
        assert!(body["timestamp"].is_string());
        let data = &body["data"];
        match body["type"].as_str().unwrap() {
            "activity.approved" | "activity.revision_approved" => {
                assert_eq!(data["id"], json!(id));
                assert!(data.get("status").is_none() && data.get("version").is_none());
                assert_eq!(data["organizer_name"], approved_view["organizer_name"]);
            }
            _ => {
                let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["campaign", "id", "status", "version"], "{data}");
                assert_eq!(data["campaign"], json!(campaign));
            }
        }
        for private in [
            org.email.as_str(),
            "03-1234-5678",
            "連絡 担当",
            org.id.as_str(),
            moderator.id.as_str(),
            "開催日を書いてください",
            "まだ審査中の題",
        ] {
            assert!(
                !g.body.contains(private),
                "a delivered body holds {private}: {}",
                g.body
            );
        }
    }
    // The revision's approval carries the public view as the listing shows it.
    let revised = got
        .iter()
        .find(|g| g.json()["type"] == "activity.revision_approved")
        .unwrap();
    assert_eq!(revised.json()["data"], approved_view);

    // A tampered body does not verify, by either verifier.
    let mut forged = got[0].clone();
    forged.body = forged.body.replace("activity.submitted", "activity.approved");
    assert!(!verified(&secret, &forged));
}

#[actix_web::test]
async fn a_receiver_that_fails_three_times_gets_the_event_once_it_recovers_and_a_replay_again() {
    let app = open_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start();
    let (hook, secret) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    receiver.answer(&[500, 500, 500]);
    let t = app
        .post(
            &format!("/api/v1/admin/webhooks/{hook}/test"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(t.status, 202, "{}", t.body);
    let delivery = t.body["delivery_id"].as_str().unwrap().to_owned();
    let w = worker(&app, OPEN);
    for _ in 0..6 {
        round(&w).await;
    }
    let got = receiver.got();
    assert_eq!(got.len(), 4, "three failures, then the delivery; nothing after it");
    assert!(got
        .iter()
        .all(|g| g.header("webhook-id") == t.body["message_id"].as_str().unwrap()));
    assert!(got.iter().all(|g| verified(&secret, g)));
    assert_eq!(got[0].json()["type"], "webhook.test");

    let path = format!("/api/v1/admin/webhooks/{hook}/deliveries");
    let list = app.get(&path, Some(&admin.token)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    let codes: Vec<i64> = items.iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [200, 500, 500, 500], "newest first");
    assert!(items[0]["error"].is_null());
    assert!(items[1]["error"].as_str().unwrap().contains("500"));
    assert!(items
        .iter()
        .all(|a| a["delivery_id"] == json!(delivery) && a["delivery_state"] == "sent"));
    assert!(items.iter().all(|a| a["latency_ms"].as_i64().unwrap() >= 0));
    let page = app.get(&format!("{path}?limit=3"), Some(&admin.token)).await;
    let rest = app
        .get(
            &format!("{path}?limit=3&cursor={}", page.body["next_cursor"].as_str().unwrap()),
            Some(&admin.token),
        )
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);

    let r = app
        .post(&format!("{path}/{delivery}/replay"), Some(&admin.token), json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["message_id"], t.body["message_id"]);
    round(&w).await;
    let got = receiver.got();
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[4].header("webhook-id"),
        got[0].header("webhook-id"),
        "a replay keeps the webhook-id"
    );
    assert_eq!(got[4].json()["data"], got[0].json()["data"]);
    let other = "0192f1a0-0000-7000-8000-000000000009";
    let missing = app
        .post(&format!("{path}/{other}/replay"), Some(&admin.token), json!({}))
        .await;
    assert_eq!(missing.status, 404);

    let audit = app
        .get("/api/v1/admin/audit?action=webhook_replay", Some(&admin.token))
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.body);
}

#[actix_web::test]
async fn a_rotation_signs_with_both_secrets_for_a_day() {
    let app = open_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start();
    let (hook, old) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    let r = app
        .post(
            &format!("/api/v1/admin/webhooks/{hook}/rotate-secret"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(r.body["previous_secret_expires_at"].is_string());
    app.post(
        &format!("/api/v1/admin/webhooks/{hook}/test"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    round(&worker(&app, OPEN)).await;
    let got = receiver.got();
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    assert!(verified(&new, &got[0]) && verified(&old, &got[0]));
}

#[actix_web::test]
async fn subscriptions_are_validated_versioned_and_audited() {
    let app = open_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start();
    let post = |body: Value| app.post("/api/v1/admin/webhooks", Some(&admin.token), body);
    for body in [
        json!({"url": receiver.url, "event_types": []}),
        json!({"url": receiver.url, "event_types": ["activity.nope"]}),
        json!({"url": receiver.url, "event_types": ["webhook.test"]}),
        json!({"url": "not a url", "event_types": ["activity.approved"]}),
        json!({"url": "ftp://example.jp/x", "event_types": ["activity.approved"]}),
        json!({"url": receiver.url, "event_types": ["activity.approved"], "secret": "mine"}),
    ] {
        let r = post(body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    let (hook, _) = subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    let path = format!("/api/v1/admin/webhooks/{hook}");
    let ok = app
        .patch(
            &path,
            Some(&admin.token),
            json!({"version": 1, "enabled": false, "event_types": ["activity.rejected", "activity.approved"]}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        ok.body["event_types"],
        json!(["activity.approved", "activity.rejected"])
    );
    assert_eq!(ok.body["enabled"], false);
    let stale = app
        .patch(&path, Some(&admin.token), json!({"version": 1, "description": "x"}))
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.body["current"]["version"], 2);
    let test = app.post(&format!("{path}/test"), Some(&admin.token), json!({})).await;
    assert_eq!(
        (test.status, test.body["code"].as_str()),
        (409, Some("webhook_disabled"))
    );
    assert_eq!(
        app.call(actix_web::http::Method::DELETE, &path, Some(&admin.token), None)
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path, Some(&admin.token)).await.status, 404);
    let audit = app.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str().filter(|a| a.starts_with("webhook_")))
        .collect();
    assert_eq!(actions, ["webhook_delete", "webhook_update", "webhook_create"]);
}
