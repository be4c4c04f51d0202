//! Seats across processes: two server processes on one PostgreSQL database take 200
//! confirmations for a 10-seat session at once, half each, and never overbook.

use crate::proc_util::{create_admin, draft_body, open, pg_db, Reply, Server};
use diesel::prelude::*;
use serde_json::json;
use std::sync::{Arc, Barrier};
use std::thread;
use telework_registry::db::schema::outbox;

const ADMIN: &str = "admin-events@example.jp";

fn token(database_url: &str, email: &str) -> String {
    let (_pool, mut conn) = open(database_url);
    let bodies: Vec<Option<String>> = outbox::table
        .filter(outbox::recipient.eq(email))
        .select(outbox::body)
        .load(&mut *conn)
        .expect("outbox");
    let needle = "/applications/confirm#token=";
    let body = bodies
        .into_iter()
        .flatten()
        .find(|b| b.contains(needle))
        .expect("a confirmation mail");
    let start = body.find(needle).unwrap() + needle.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[test]
fn two_processes_never_overbook_a_session() {
    let Some(db) = pg_db("two_processes_never_overbook_a_session") else {
        return;
    };
    // The mail workers sleep through the test, so the confirmation mails stay in the outbox
    // with their links (a sent mail with a one-time link loses its body).
    let env = [("AUTH_RATE_LIMIT_PER_MINUTE", "100000"), ("OUTBOX_POLL_MS", "600000")];
    let (a, b) = (Server::start(&db.url, &env), Server::start(&db.url, &env));
    let (api_a, api_b) = (a.api(), b.api());
    create_admin(&db.url, ADMIN);
    let admin = api_a.login(ADMIN);
    api_a.open_campaign(&admin, "seats");
    let moderator = api_a.moderator(&admin, "mod-seats@example.jp");
    let owner = api_b.register("owner-seats@example.jp");
    let draft = api_b.expect(
        201,
        "/api/v1/activities",
        Some(&owner),
        draft_body("seats", "定員10名のセミナー"),
    );
    let id = draft["id"].as_str().unwrap().to_owned();
    let queued = api_a.expect(
        200,
        &format!("/api/v1/activities/{id}/submit"),
        Some(&owner),
        json!({"version": draft["version"]}),
    );
    api_b.expect(
        200,
        &format!("/api/v1/moderation/activities/{id}/approve"),
        Some(&moderator),
        json!({"version": queued["version"]}),
    );
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let session = api_a.expect(
        201,
        &format!("/api/v1/activities/{id}/sessions"),
        Some(&owner),
        json!({"starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(),
               "format": "online", "capacity": 10, "waitlist": true}),
    );
    let sid = session["id"].as_str().unwrap().to_owned();
    let n = 200;
    let tokens: Vec<String> = (0..n)
        .map(|i| {
            let email = format!("seat-{i}@example.jp");
            let api = if i % 2 == 0 { &api_a } else { &api_b };
            api.expect(
                202,
                &format!("/api/v1/public/sessions/{sid}/applications"),
                None,
                json!({"name": "応募者", "email": email}),
            );
            token(&db.url, &email)
        })
        .collect();
    let barrier = Arc::new(Barrier::new(n));
    let confirmers: Vec<thread::JoinHandle<Reply>> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let api = if i % 2 == 0 { a.api() } else { b.api() };
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                // A process out of pooled connections answers 503 with Retry-After; a
                // client tries again, and so does this one (it changed nothing).
                let mut reply = api.post("/api/v1/public/applications/confirm", None, json!({"token": t}));
                for _ in 0..10 {
                    if reply.status != 503 {
                        break;
                    }
                    thread::sleep(std::time::Duration::from_millis(200));
                    reply = api.post("/api/v1/public/applications/confirm", None, json!({"token": t}));
                }
                reply
            })
        })
        .collect();
    let replies: Vec<Reply> = confirmers.into_iter().map(|t| t.join().expect("confirmer")).collect();
    let with = |s: &str| {
        replies
            .iter()
            .filter(|r| r.status == 200 && r.body["status"] == s)
            .count()
    };
    assert_eq!(
        (with("confirmed"), with("waitlisted")),
        (10, 190),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Both processes show the same counts.
    for api in [&api_a, &api_b] {
        let mut seen = serde_json::Value::Null;
        for _ in 0..50 {
            seen = api.get(&format!("/api/v1/public/activities/{id}/sessions"), None).body["items"][0].clone();
            if seen["confirmed"] == 10 && seen["waitlisted"] == 190 {
                break;
            }
            thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(
            (
                seen["confirmed"].as_i64(),
                seen["waitlisted"].as_i64(),
                seen["remaining"].as_i64()
            ),
            (Some(10), Some(190), Some(0))
        );
    }
}
