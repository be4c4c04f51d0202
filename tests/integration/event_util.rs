//! Helpers of the event session tests: an approved activity, a session, applications and
//! the tokens their mails carry (read from the outbox, where the mails are written).

use crate::common::{world, Resp, TestApp, User, World};
use diesel::prelude::*;
use serde_json::{json, Value};
use telework_registry::db::schema::outbox;

/// A world with an approved activity of `org`; returns it with the activity's id.
pub async fn with_activity() -> (World, String) {
    let w = world().await;
    let a = w
        .app
        .approved(&w.org, &w.moderator, &w.campaign, "テレワーク導入セミナー")
        .await;
    let id = a["id"].as_str().unwrap().to_owned();
    (w, id)
}

/// A time `hours` from now, RFC 3339 in Japan time.
pub fn hours_from_now(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .to_rfc3339()
}

/// Creates an online session in ten days with `extra` fields over the defaults.
pub async fn session(app: &TestApp, owner: &User, activity: &str, extra: Value) -> Value {
    let mut body = json!({
        "starts_at": hours_from_now(240),
        "ends_at": hours_from_now(242),
        "format": "online",
        "online_url": "https://meet.example.jp/room-secret-7f3a",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app
        .post(
            &format!("/api/v1/activities/{activity}/sessions"),
            Some(&owner.token),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

pub async fn apply(app: &TestApp, sid: &str, email: &str) -> Resp {
    app.post(
        &format!("/api/v1/public/sessions/{sid}/applications"),
        None,
        json!({"name": "山田 太郎", "email": email}),
    )
    .await
}

/// Every mail to `to` as (kind, body), oldest first.
pub fn mails(app: &TestApp, to: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().unwrap();
    outbox::table
        .filter(outbox::recipient.eq(to))
        .filter(outbox::channel.eq("mail"))
        .order((outbox::created_at, outbox::id))
        .select((outbox::kind, outbox::body.assume_not_null()))
        .load::<(String, String)>(&mut *conn)
        .unwrap()
}

/// The token after `page#token=` in the newest mail to `to` that has one.
pub fn token(app: &TestApp, to: &str, page: &str) -> String {
    let needle = format!("/applications/{page}#token=");
    let body = mails(app, to)
        .into_iter()
        .rev()
        .map(|(_, b)| b)
        .find(|b| b.contains(&needle))
        .unwrap_or_else(|| panic!("no mail to {to} links to {page}"));
    let start = body.find(&needle).unwrap() + needle.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub async fn confirm(app: &TestApp, token: &str) -> Resp {
    app.post("/api/v1/public/applications/confirm", None, json!({"token": token}))
        .await
}

/// The public view of one session.
pub async fn public_session(app: &TestApp, activity: &str, sid: &str) -> Value {
    crate::common::settle().await;
    let r = app
        .get(&format!("/api/v1/public/activities/{activity}/sessions"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sid)
        .cloned()
        .expect("the session is public")
}

/// The organizer's list of a session's applications.
pub async fn applications(app: &TestApp, who: &User, activity: &str, sid: &str, query: &str) -> Resp {
    app.get(
        &format!("/api/v1/activities/{activity}/sessions/{sid}/applications?limit=100{query}"),
        Some(&who.token),
    )
    .await
}
