//! Event sessions beyond the seat: the online URL and applicants' data never leak (public
//! endpoints, exports of the listing, statistics, feeds, webhooks, other mails), the
//! organizer's CSV parses with Japanese intact, and reminders go out once through real SMTP.

use crate::common::{settle, world, TestApp, User};
use crate::event_util::*;
use crate::hook_util::{round, worker, Receiver};
use crate::smtp::{smtp, unique_address, Mailroom};
use crate::webhooks::{subscribe, OPEN};
use serde_json::json;
use telework_registry::db::generation;
use telework_registry::mail::Mailer;
use telework_registry::service::event_clock;

const URL: &str = "https://meet.example.jp/room-secret-7f3a";

async fn public_bodies(app: &TestApp, aid: &str, campaign: &str) -> Vec<(String, String)> {
    settle().await;
    let mut out = Vec::new();
    for path in [
        "/api/v1/public/activities".to_owned(),
        format!("/api/v1/public/activities?campaign={campaign}&has_open_sessions=true"),
        "/api/v1/public/activities?from=2020-01-01&q=%E3%82%BB%E3%83%9F%E3%83%8A%E3%83%BC".to_owned(),
        format!("/api/v1/public/activities/{aid}"),
        format!("/api/v1/public/activities/{aid}/sessions"),
        "/api/v1/public/stats".to_owned(),
        "/api/v1/public/feed.atom".to_owned(),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status, 200, "{path}");
        out.push((path, String::from_utf8_lossy(&r.raw).into_owned()));
    }
    out
}

#[actix_web::test]
async fn the_online_url_and_applicants_reach_no_one_else() {
    let app = TestApp::with(|c| c.webhooks = OPEN).await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let org = app.registrant("organization").await;
    let moderator: User = app.staff(&admin, "moderator").await;
    let receiver = Receiver::start();
    subscribe(
        &app,
        &admin,
        &receiver.url,
        &[
            "activity.approved",
            "activity.revision_approved",
            "activity.unpublished",
        ],
    )
    .await;
    let a = app
        .approved(&org, &moderator, &campaign, "テレワーク導入セミナー")
        .await;
    let aid = a["id"].as_str().unwrap();
    let s = session(
        &app,
        &org,
        aid,
        json!({"capacity": 1, "waitlist": true, "questions": ["ご所属"]}),
    )
    .await;
    let sid = s["id"].as_str().unwrap();
    let people = [
        ("漏洩 花子", "leak-seated@example.jp", "秘密の部署"),
        ("漏洩 次郎", "leak-waiting@example.jp", "別の秘密"),
    ];
    for (name, email, answer) in people {
        let r = app
            .post(
                &format!("/api/v1/public/sessions/{sid}/applications"),
                None,
                json!({"name": name, "email": email, "organization": "株式会社リーク", "answers": [answer]}),
            )
            .await;
        assert_eq!(r.status, 202);
        assert_eq!(confirm(&app, &token(&app, email, "confirm")).await.status, 200);
    }
    // An approved revision after the sessions exist: its event carries the public view.
    let current = app
        .get(&format!("/api/v1/activities/{aid}"), Some(&org.token))
        .await
        .body;
    let edited = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&org.token),
            json!({"version": current["version"], "title": "テレワーク導入セミナー（改）"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    app.act(
        &moderator,
        &format!("/api/v1/moderation/activities/{aid}/approve"),
        json!({"version": edited.body["version"]}),
    )
    .await;
    let hooks = worker(&app, OPEN);
    while round(&hooks).await > 0 {}
    let delivered = receiver.got();
    assert!(delivered.len() >= 2, "webhooks were delivered: {}", delivered.len());
    let mut seen: Vec<(String, String)> = public_bodies(&app, aid, &campaign).await;
    seen.extend(delivered.into_iter().map(|g| ("webhook".to_owned(), g.body)));
    let tokens: Vec<String> = people.iter().map(|(_, e, _)| token(&app, e, "manage")).collect();
    for (where_, body) in &seen {
        for private in [URL, "漏洩", "leak-seated", "leak-waiting", "秘密", "株式会社リーク"]
            .iter()
            .copied()
            .chain(tokens.iter().map(String::as_str))
        {
            assert!(!body.contains(private), "{where_} holds {private}");
        }
    }
    assert!(
        seen.iter().any(|(p, b)| p.ends_with("/sessions") && b.contains(sid)),
        "the session itself is public"
    );
    // Mails: the URL only in the seated applicant's confirmation; the waitlisted never see it.
    for (kind, body) in mails(&app, "leak-seated@example.jp") {
        assert_eq!(body.contains(URL), kind == "application_confirmed", "{kind}");
    }
    assert!(mails(&app, "leak-waiting@example.jp")
        .iter()
        .all(|(_, b)| !b.contains(URL)));
    let own = |t: &str| app.post("/api/v1/public/applications/view", None, json!({"token": t}));
    assert_eq!(own(&tokens[0]).await.body["online_url"], URL);
    let waiting = own(&tokens[1]).await;
    assert_eq!(waiting.body["status"], "waitlisted");
    assert!(waiting.body["online_url"].is_null());
}

#[actix_web::test]
async fn the_organizers_csv_parses_and_keeps_japanese() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let s = session(
        app,
        &w.org,
        &aid,
        json!({"questions": ["ご所属部署", "ご質問（自由記述）"]}),
    )
    .await;
    let sid = s["id"].as_str().unwrap();
    let answers = ["総務部, 人事課", "在宅勤務の\"労務管理\"について\n複数行です"];
    let r = app
        .post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "髙橋 𠮷子", "email": "csv@example.jp", "organization": "株式会社テレワーク", "answers": answers}),
        )
        .await;
    assert_eq!(r.status, 202);
    confirm(app, &token(app, "csv@example.jp", "confirm")).await;
    let r = app
        .post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "未確認", "email": "pending@example.jp", "answers": ["", ""]}),
        )
        .await;
    assert_eq!(r.status, 202);
    let path = format!("/api/v1/activities/{aid}/sessions/{sid}/applications.csv");
    let r = app.get(&path, Some(&w.org.token)).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r.raw.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = std::str::from_utf8(&r.raw[3..]).expect("UTF-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..3], ["申込ID", "状態", "氏名"]);
    assert_eq!(&header[9..], ["ご所属部署", "ご質問（自由記述）"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let taro = rows.iter().find(|r| &r[3] == "csv@example.jp").unwrap();
    assert_eq!(
        (&taro[1], &taro[2], &taro[4]),
        ("confirmed", "髙橋 𠮷子", "株式会社テレワーク")
    );
    assert_eq!((&taro[9], &taro[10]), (answers[0], answers[1]));
    assert!(taro[5].ends_with("+09:00"));
    assert_eq!(app.get(&path, Some(&w.ind.token)).await.status, 404);
    assert_eq!(app.get(&path, Some(&w.moderator.token)).await.status, 200);
}

#[actix_web::test]
async fn reminders_go_out_once_a_day_before_with_the_online_url() {
    let Some(server) = smtp("reminders_go_out_once_a_day_before_with_the_online_url") else {
        return;
    };
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let soon = session(
        app,
        &w.org,
        &aid,
        json!({"starts_at": hours_from_now(23), "ends_at": hours_from_now(25)}),
    )
    .await;
    let later = session(app, &w.org, &aid, json!({"applications_open_at": hours_from_now(1)})).await;
    let (seated, pending) = (unique_address("remind"), unique_address("unconfirmed"));
    let sid = soon["id"].as_str().unwrap();
    apply(app, sid, &seated).await;
    confirm(app, &token(app, &seated, "confirm")).await;
    apply(app, sid, &pending).await;
    let mailer = Mailer::new(&app.config);
    let mut conn = app.pool.get().unwrap();
    let now = telework_registry::db::now();
    assert_eq!(event_clock::tick(&mut conn, &mailer, now, now).unwrap(), 1);
    assert_eq!(event_clock::tick(&mut conn, &mailer, now, now).unwrap(), 0, "once");
    // Moved to a later day, the session is reminded again before its new start.
    let current = app
        .get(&format!("/api/v1/activities/{aid}/sessions"), Some(&w.org.token))
        .await
        .body["items"][0]
        .clone();
    assert_eq!(current["id"], sid);
    let moved = app
        .patch(
            &format!("/api/v1/activities/{aid}/sessions/{sid}"),
            Some(&w.org.token),
            json!({"version": current["version"], "starts_at": hours_from_now(30), "ends_at": hours_from_now(32)}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        event_clock::tick(&mut conn, &mailer, now, now).unwrap(),
        0,
        "not yet a day before"
    );
    let later_on = now + chrono::Duration::hours(7);
    assert_eq!(event_clock::tick(&mut conn, &mailer, later_on, later_on).unwrap(), 1);
    let reminders = mails(app, &seated)
        .into_iter()
        .filter(|(k, _)| k == "session_reminder")
        .count();
    assert_eq!(reminders, 2);
    let kinds: Vec<String> = mails(app, &seated).into_iter().map(|(k, _)| k).collect();
    assert!(mails(app, &pending).iter().all(|(k, _)| k != "session_reminder"));
    // Delivered for real, with the online URL.
    let room = Mailroom::new(app, &server, &server.url);
    let got = room.deliver(&seated, kinds.len()).await;
    let reminder = got
        .iter()
        .find(|m| m.body.contains("開催が近づきました"))
        .expect("the reminder arrived");
    assert!(reminder.body.contains(URL));
    // The clock makes a new public generation when a window opens.
    let before = generation::get(&mut conn).unwrap();
    let opens = later["applications_open_at"].as_str().unwrap();
    let opens = chrono::DateTime::parse_from_rfc3339(opens).unwrap().naive_utc();
    event_clock::tick(&mut conn, &mailer, opens - chrono::Duration::seconds(1), opens).unwrap();
    assert!(generation::get(&mut conn).unwrap() > before);
    let before = generation::get(&mut conn).unwrap();
    event_clock::tick(&mut conn, &mailer, opens, opens + chrono::Duration::seconds(1)).unwrap();
    assert_eq!(
        generation::get(&mut conn).unwrap(),
        before,
        "nothing passed: no new generation"
    );
    let _ = world;
}
