//! Mail from the real binary: a decision whose process is killed before its notice goes out
//! is delivered after a restart, and two processes sharing one PostgreSQL database deliver
//! every notice of 500 decisions exactly once.

use crate::proc_util::*;
use crate::smtp::{received, smtp, unique_address, wait_for, Smtp};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const FROM: &str = "テレワーク月間事務局 <noreply@example.jp>";

fn mail_env<'a>(smtp: &'a Smtp, poll_ms: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SMTP_URL", smtp.url.as_str()),
        ("MAIL_FROM", FROM),
        ("OUTBOX_POLL_MS", poll_ms),
    ]
}

fn approved_notice_state(database_url: &str) -> (i64, i64) {
    let (_pool, mut conn) = open(database_url);
    let pending = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'activity_approved' AND state = 'pending'",
    );
    let sent = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'activity_approved' AND state = 'sent'",
    );
    (pending, sent)
}

fn a_decision_outlives_a_crash_before_its_mail(database_url: &str, smtp: &Smtp) {
    let started = Instant::now();
    // The worker looks once at start and then sleeps for ten minutes: the kill comes first.
    let mut server = Server::start(database_url, &mail_env(smtp, "600000"));
    create_admin(database_url, ADMIN_EMAIL);
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL);
    api.open_campaign(&admin, "crash-mail");
    let moderator = api.moderator(&admin, &unique_address("crash-mod"));
    let owner_email = unique_address("crash-owner");
    let owner = api.register(&owner_email);
    let draft = api.expect(
        201,
        "/api/v1/activities",
        Some(&owner),
        draft_body("crash-mail", "落ちる前の承認"),
    );
    let id = draft["id"].as_str().unwrap();
    let p = api.expect(
        200,
        &format!("/api/v1/activities/{id}/submit"),
        Some(&owner),
        json!({"version": draft["version"]}),
    );
    api.expect(
        200,
        &format!("/api/v1/moderation/activities/{id}/approve"),
        Some(&moderator),
        json!({"version": p["version"]}),
    );
    server.kill();
    assert_eq!(
        approved_notice_state(database_url),
        (1, 0),
        "the notice committed with the decision"
    );
    let is_notice = |m: &crate::smtp::Received| m.subject.contains("【承認】");
    assert!(
        !received(&smtp.maildir, &owner_email).iter().any(is_notice),
        "the notice went out before the kill"
    );

    let _server = Server::start(database_url, &mail_env(smtp, "50"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while approved_notice_state(database_url).1 == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    let got = wait_for(&smtp.maildir, &owner_email, 2, Duration::from_secs(5));
    let notices: Vec<_> = got.iter().filter(|m| is_notice(m)).collect();
    assert_eq!(notices.len(), 1, "one notice after the restart: {got:#?}");
    let (_pool, mut conn) = open(database_url);
    let stored = count(
        &mut conn,
        &format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE message_id = '{}' AND state = 'sent' AND body IS NULL",
            notices[0].message_id.replace('\'', "")
        ),
    );
    assert_eq!(
        stored, 1,
        "the delivered Message-ID is the outbox row's, and its body is erased"
    );
    eprintln!("crash-before-mail test took {:?}", started.elapsed());
}

#[test]
fn a_decision_outlives_a_crash_before_its_mail_sqlite() {
    let Some(smtp) = smtp("a_decision_outlives_a_crash_before_its_mail_sqlite") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    a_decision_outlives_a_crash_before_its_mail(&url, &smtp);
}

#[test]
fn a_decision_outlives_a_crash_before_its_mail_postgres() {
    let Some(smtp) = smtp("a_decision_outlives_a_crash_before_its_mail_postgres") else {
        return;
    };
    let Some(db) = pg_db("a_decision_outlives_a_crash_before_its_mail_postgres") else {
        return;
    };
    a_decision_outlives_a_crash_before_its_mail(&db.url, &smtp);
}

/// Runs `f(i)` for `0..n` on `threads` threads.
fn in_parallel<T: Send + 'static>(n: usize, threads: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let out = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (f, out) = (f.clone(), out.clone());
            thread::spawn(move || {
                for i in (t..n).step_by(threads) {
                    let v = f(i);
                    out.lock().unwrap().push(v);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker thread");
    }
    Arc::try_unwrap(out).ok().expect("threads done").into_inner().unwrap()
}

#[test]
fn two_processes_deliver_every_notice_of_500_decisions_once() {
    let Some(smtp) = smtp("two_processes_deliver_every_notice_of_500_decisions_once") else {
        return;
    };
    let Some(db) = pg_db("two_processes_deliver_every_notice_of_500_decisions_once") else {
        return;
    };
    let started = Instant::now();
    let env = mail_env(&smtp, "50");
    let a = Server::start(&db.url, &env);
    let b = Server::start(&db.url, &env);
    create_admin(&db.url, ADMIN_EMAIL);
    let (api_a, api_b) = (a.api(), b.api());
    let admin = api_a.login(ADMIN_EMAIL);
    api_a.open_campaign(&admin, "five-hundred");
    let mods = [
        api_a.moderator(&admin, &unique_address("mod-a")),
        api_b.moderator(&admin, &unique_address("mod-b")),
    ];
    let owner_email = unique_address("five-hundred");
    let owner = api_a.register(&owner_email);
    let n = 500;
    let (apis, owner2) = ([api_a.clone(), api_b.clone()], owner.clone());
    let queued = in_parallel(n, 8, move |i| {
        let api = &apis[i % 2];
        let d = api.expect(
            201,
            "/api/v1/activities",
            Some(&owner2),
            draft_body("five-hundred", &format!("通知 {i}")),
        );
        let id = d["id"].as_str().unwrap().to_owned();
        let s = api.expect(
            200,
            &format!("/api/v1/activities/{id}/submit"),
            Some(&owner2),
            json!({"version": d["version"]}),
        );
        (id, s["version"].as_i64().unwrap())
    });
    let made = started.elapsed();
    let apis = [api_a.clone(), api_b.clone()];
    let queued = Arc::new(queued);
    let q = queued.clone();
    in_parallel(n, 8, move |i| {
        let (id, version) = &q[i];
        apis[i % 2].expect(
            200,
            &format!("/api/v1/moderation/activities/{id}/approve"),
            Some(&mods[i % 2]),
            json!({"version": version}),
        );
    });
    let decided = started.elapsed();

    let got = wait_for(&smtp.maildir, &owner_email, n + 1, Duration::from_secs(60));
    let delivered = started.elapsed();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for m in got.iter().filter(|m| m.subject.contains("【承認】")) {
        *by_id.entry(m.message_id.clone()).or_default() += 1;
    }
    let twice: Vec<_> = by_id.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "notices delivered twice: {twice:?}");
    assert_eq!(by_id.len(), n, "every notice delivered");
    // The server marks a row sent after the SMTP server has taken it: the last batch may
    // still be on its way to `sent` when its mail has arrived.
    let (_pool, mut conn) = open(&db.url);
    let sent_sql = "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'activity_approved' AND state = 'sent'";
    let until = Instant::now() + Duration::from_secs(10);
    while count(&mut conn, sent_sql) < n as i64 && Instant::now() < until {
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count(&mut conn, sent_sql), n as i64, "every notice marked sent");
    let attempts = count(
        &mut conn,
        "SELECT COALESCE(SUM(attempts), 0) AS n FROM outbox WHERE kind = 'activity_approved'",
    );
    assert_eq!(attempts, n as i64, "a notice was claimed more than once");
    eprintln!(
        "500 decisions on two processes: queued in {made:?}, decided by {decided:?}, all {} notices at the SMTP server by {delivered:?}",
        by_id.len()
    );
    drop((a, b));
}
