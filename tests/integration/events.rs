//! Event sessions: the organizer manages them, the public sees them with seats and open
//! status, and people apply without an account (double opt-in, one per address).

use crate::common::{settle, world};
use crate::event_util::*;
use actix_web::http::Method;
use serde_json::json;

#[actix_web::test]
async fn sessions_are_managed_by_their_owner_and_public_once_approved() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let path = format!("/api/v1/activities/{aid}/sessions");
    let bad = app
        .post(
            &path,
            Some(&w.org.token),
            json!({"starts_at": "2026-11-10T14:00:00", "ends_at": "2026-11-10T15:00:00+09:00", "format": "onsite"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["starts_at"]);
    let r = app
        .post(
            &path,
            Some(&w.org.token),
            json!({"starts_at": hours_from_now(5), "ends_at": hours_from_now(4), "format": "onsite", "capacity": 0}),
        )
        .await;
    let codes: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["out_of_range", "before_start", "required"], "{}", r.body);
    let s = session(app, &w.org, &aid, json!({"capacity": 200, "questions": ["ご所属"]})).await;
    assert_eq!(s["capacity"], 200);
    assert_eq!(s["fee"], "無料");
    assert_eq!(s["open_status"], "open");
    assert!(s["starts_at"].as_str().unwrap().ends_with("+09:00"), "{s}");
    let sid = s["id"].as_str().unwrap();
    // Others cannot manage it; staff may read it.
    let valid = json!({"starts_at": hours_from_now(5), "ends_at": hours_from_now(6), "format": "online"});
    assert_eq!(app.post(&path, Some(&w.ind.token), valid).await.status, 404);
    assert_eq!(app.get(&path, Some(&w.ind.token)).await.status, 404);
    assert_eq!(app.post(&path, Some(&w.moderator.token), json!({})).await.status, 403);
    let staff = app.get(&path, Some(&w.moderator.token)).await;
    assert_eq!(staff.status, 200);
    assert_eq!(
        staff.body["items"][0]["online_url"],
        "https://meet.example.jp/room-secret-7f3a"
    );
    // The public view has the session, without the online URL.
    let public = public_session(app, &aid, sid).await;
    assert_eq!(public["remaining"], 200);
    assert!(public.get("online_url").is_none());
    let listed = app.get(&format!("/api/v1/public/activities/{aid}"), None).await;
    assert_eq!(listed.body["sessions"][0]["id"], sid);
    // Edits name the version they read.
    let one = format!("{path}/{sid}");
    let edited = app
        .patch(
            &one,
            Some(&w.org.token),
            json!({"version": s["version"], "capacity": 150, "fee": "1,000円"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["capacity"], 150);
    let stale = app
        .patch(&one, Some(&w.org.token), json!({"version": s["version"], "fee": "x"}))
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.body["code"], "version_conflict");
    assert_eq!(stale.body["current"]["fee"], "1,000円");
    // A draft's sessions are not public.
    let draft = app.draft(&w.org, &w.campaign, "下書き").await;
    let did = draft["id"].as_str().unwrap();
    let hidden = session(app, &w.org, did, json!({})).await;
    let r = app
        .get(&format!("/api/v1/public/activities/{did}/sessions"), None)
        .await;
    assert_eq!(r.status, 404);
    let r = apply(app, hidden["id"].as_str().unwrap(), "x@example.jp").await;
    assert_eq!(r.status, 404);
    // Deleting a session nobody applied to works.
    let r = app.call(Method::DELETE, &one, Some(&w.org.token), None).await;
    assert_eq!(r.status, 204);
    settle().await;
    let r = app.get(&format!("/api/v1/public/activities/{aid}"), None).await;
    assert_eq!(r.body["sessions"], json!([]));
}

#[actix_web::test]
async fn applications_count_after_double_opt_in_and_once_per_address() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let s = session(app, &w.org, &aid, json!({"capacity": 10})).await;
    let sid = s["id"].as_str().unwrap();
    let r = apply(app, sid, "Taro@Example.jp").await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(
        public_session(app, &aid, sid).await["confirmed"],
        0,
        "unconfirmed applications do not count"
    );
    // The same address, differently cased and full-width: the same answer, a mail saying so.
    let again = apply(app, sid, "ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ").await;
    assert_eq!((again.status, &again.body), (202, &r.body));
    let kinds: Vec<String> = mails(app, "taro@example.jp").into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["application_confirm", "application_exists"]);
    let token = token(app, "taro@example.jp", "confirm");
    let c = confirm(app, &token).await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["status"], "confirmed");
    assert_eq!(c.body["online_url"], "https://meet.example.jp/room-secret-7f3a");
    let used = confirm(app, &token).await;
    assert_eq!(
        (used.status, used.body["code"].as_str()),
        (400, Some("invalid_token")),
        "tokens are single use"
    );
    let public = public_session(app, &aid, sid).await;
    assert_eq!(
        (public["confirmed"].as_i64(), public["remaining"].as_i64()),
        (Some(1), Some(9))
    );
    let list = applications(app, &w.org, &aid, sid, "").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["email"], "taro@example.jp");
    // A third try, now confirmed: still one application, and a mail with a working link.
    assert_eq!(apply(app, sid, "taro@example.jp").await.status, 202);
    let view = app
        .post(
            "/api/v1/public/applications/view",
            None,
            json!({"token": crate::event_util::token(app, "taro@example.jp", "manage")}),
        )
        .await;
    assert_eq!(view.body["status"], "confirmed");
    assert_eq!(
        applications(app, &w.org, &aid, sid, "").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The organizer's list is the owner's and staff's only.
    assert_eq!(applications(app, &w.ind, &aid, sid, "").await.status, 404);
    assert_eq!(
        applications(app, &w.moderator, &aid, sid, "&status=confirmed")
            .await
            .status,
        200
    );
    assert_eq!(applications(app, &w.org, &aid, sid, "&status=nope").await.status, 400);
}

#[actix_web::test]
async fn closed_windows_full_sessions_and_bad_answers_are_refused_without_a_trace() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let later = session(app, &w.org, &aid, json!({"applications_open_at": hours_from_now(24)})).await;
    let r = apply(app, later["id"].as_str().unwrap(), "a@example.jp").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("applications_not_open"))
    );
    assert_eq!(
        public_session(app, &aid, later["id"].as_str().unwrap()).await["open_status"],
        "preopen"
    );
    let past = session(
        app,
        &w.org,
        &aid,
        json!({"starts_at": hours_from_now(-3), "ends_at": hours_from_now(-1)}),
    )
    .await;
    let r = apply(app, past["id"].as_str().unwrap(), "a@example.jp").await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("applications_closed")));
    let one = session(
        app,
        &w.org,
        &aid,
        json!({"capacity": 1, "questions": ["ご所属", "ご質問"]}),
    )
    .await;
    let sid = one["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "x", "email": "a@example.jp", "answers": ["総務部"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (400, Some("answer_count"))
    );
    let r = app
        .post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "佐藤 花子", "email": "a@example.jp", "answers": ["総務部", ""]}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let apply_path = format!("/api/v1/public/sessions/{sid}/applications");
    let answered = |email: &'static str| {
        app.post(
            &apply_path,
            None,
            json!({"name": "n", "email": email, "answers": ["", ""]}),
        )
    };
    assert_eq!(answered("b@example.jp").await.status, 202);
    assert_eq!(confirm(app, &token(app, "a@example.jp", "confirm")).await.status, 200);
    // No seat and no waitlist: 409, and the link still works should a seat free up.
    let b = token(app, "b@example.jp", "confirm");
    let full = confirm(app, &b).await;
    assert_eq!((full.status, full.body["code"].as_str()), (409, Some("session_full")));
    let r = answered("c@example.jp").await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("session_full")));
    assert!(mails(app, "c@example.jp").is_empty());
    assert_eq!(public_session(app, &aid, sid).await["open_status"], "full");
    // A's cancellation frees the seat; B's old link now confirms.
    let a_manage = token(app, "a@example.jp", "manage");
    let r = app
        .post("/api/v1/public/applications/cancel", None, json!({"token": a_manage}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(confirm(app, &b).await.body["status"], "confirmed");
    // Cancelled sessions take nothing.
    let cancel = format!("/api/v1/activities/{aid}/sessions/{sid}/cancel");
    assert_eq!(app.post(&cancel, Some(&w.org.token), json!({})).await.status, 200);
    let r = answered("d@example.jp").await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("session_cancelled")));
    let kinds: Vec<String> = mails(app, "b@example.jp").into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("session_cancelled"));
}

#[actix_web::test]
async fn a_get_of_a_cancel_link_changes_nothing_and_a_cancel_works_once() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let s = session(app, &w.org, &aid, json!({})).await;
    let sid = s["id"].as_str().unwrap();
    apply(app, sid, "k@example.jp").await;
    confirm(app, &token(app, "k@example.jp", "confirm")).await;
    let manage = token(app, "k@example.jp", "manage");
    // The link itself points at the front end, the token in the fragment.
    let (_, body) = mails(app, "k@example.jp").pop().unwrap();
    assert!(
        body.contains(&format!(
            "https://telework.example.jp/applications/manage#token={manage}"
        )) || body.contains(&format!("/applications/manage#token={manage}"))
    );
    for path in [
        format!("/api/v1/public/applications/cancel?token={manage}"),
        format!("/api/v1/public/applications/cancel#token={manage}"),
    ] {
        let r = app.get(&path, None).await;
        assert!(r.status == 405 || r.status == 404, "GET {path}: {}", r.status);
    }
    assert_eq!(
        public_session(app, &aid, sid).await["confirmed"],
        1,
        "a GET changed nothing"
    );
    let r = app
        .post("/api/v1/public/applications/cancel", None, json!({"token": manage}))
        .await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("cancelled")));
    assert!(r.body["online_url"].is_null());
    let again = app
        .post("/api/v1/public/applications/cancel", None, json!({"token": manage}))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(public_session(app, &aid, sid).await["confirmed"], 0);
    // A cancelled address may apply again.
    assert_eq!(apply(app, sid, "k@example.jp").await.status, 202);
    let kinds: Vec<String> = mails(app, "k@example.jp").into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("application_confirm"));
}

#[actix_web::test]
async fn sessions_with_applicants_are_cancelled_not_deleted_and_questions_stay() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let s = session(
        app,
        &w.org,
        &aid,
        json!({"capacity": 1, "waitlist": true, "questions": ["ご所属"]}),
    )
    .await;
    let sid = s["id"].as_str().unwrap();
    let one = format!("/api/v1/activities/{aid}/sessions/{sid}");
    for who in ["p@example.jp", "q@example.jp"] {
        app.post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "n", "email": who, "answers": [""]}),
        )
        .await;
        confirm(app, &token(app, who, "confirm")).await;
    }
    let r = app.call(Method::DELETE, &one, Some(&w.org.token), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("session_has_applicants"))
    );
    let current = app
        .get(&format!("/api/v1/activities/{aid}/sessions"), Some(&w.org.token))
        .await
        .body["items"][0]
        .clone();
    assert_eq!(
        (current["confirmed"].as_i64(), current["waitlisted"].as_i64()),
        (Some(1), Some(1))
    );
    let r = app
        .patch(
            &one,
            Some(&w.org.token),
            json!({"version": current["version"], "questions": ["別の質問"]}),
        )
        .await;
    assert_eq!(r.body["code"], "questions_locked");
    // Raising the capacity promotes the waitlist at once.
    let r = app
        .patch(
            &one,
            Some(&w.org.token),
            json!({"version": current["version"], "capacity": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["confirmed"].as_i64(), r.body["waitlisted"].as_i64()),
        (Some(2), Some(0))
    );
    let kinds: Vec<String> = mails(app, "q@example.jp").into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["application_confirm", "application_waitlisted", "application_promoted"]
    );
    let r = app
        .patch(
            &one,
            Some(&w.org.token),
            json!({"version": r.body["version"], "capacity": 1}),
        )
        .await;
    assert_eq!(r.body["code"], "capacity_below_confirmed");
    let r = app.post(&format!("{one}/cancel"), Some(&w.org.token), json!({})).await;
    assert_eq!(r.status, 200);
    assert!(r.body["cancelled_at"].is_string());
    for who in ["p@example.jp", "q@example.jp"] {
        let kinds: Vec<String> = mails(app, who).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds.last().map(String::as_str), Some("session_cancelled"), "{who}");
    }
    let list = applications(app, &w.org, &aid, sid, "&status=cancelled").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(public_session(app, &aid, sid).await["open_status"], "cancelled");
}

#[actix_web::test]
async fn the_listing_filters_on_open_sessions_and_dates() {
    let w = world().await;
    let app = &w.app;
    let mut ids = Vec::new();
    for title in ["相談会", "研修", "実践"] {
        let a = app.approved(&w.org, &w.moderator, &w.campaign, title).await;
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    // [0]: open session on 2026-11-10 JST; [1]: a session not open yet, on 2026-11-20;
    // [2]: no session.
    session(
        app,
        &w.org,
        &ids[0],
        json!({"starts_at": "2031-11-10T10:00:00+09:00", "ends_at": "2031-11-10T12:00:00+09:00"}),
    )
    .await;
    session(
        app,
        &w.org,
        &ids[1],
        json!({"starts_at": "2031-11-20T23:30:00+09:00", "ends_at": "2031-11-21T01:00:00+09:00", "applications_open_at": "2031-11-01T00:00:00+09:00"}),
    )
    .await;
    settle().await;
    let campaign = &w.campaign;
    let found = |q: &'static str| async move {
        let r = app
            .get(&format!("/api/v1/public/activities?campaign={campaign}&{q}"), None)
            .await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        let mut got: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        got
    };
    assert_eq!(found("has_open_sessions=true").await, vec![ids[0].clone()]);
    let mut both = vec![ids[0].clone(), ids[1].clone()];
    both.sort();
    assert_eq!(found("from=2031-11-01&to=2031-11-30").await, both);
    // Dates are Tokyo dates: 23:30 JST on the 20th is on the 20th.
    assert_eq!(found("from=2031-11-20&to=2031-11-20").await, vec![ids[1].clone()]);
    assert_eq!(found("from=2031-11-11").await, vec![ids[1].clone()]);
    assert_eq!(found("to=2031-11-10").await, vec![ids[0].clone()]);
    for bad in [
        "has_open_sessions=yes",
        "from=2031-13-01",
        "from=2031-11-10&to=2031-11-01",
    ] {
        let r = app.get(&format!("/api/v1/public/activities?{bad}"), None).await;
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[actix_web::test]
async fn an_unpublished_activity_takes_no_confirmations() {
    let (w, aid) = with_activity().await;
    let app = &w.app;
    let s = session(app, &w.org, &aid, json!({})).await;
    apply(app, s["id"].as_str().unwrap(), "late@example.jp").await;
    let current = app
        .get(
            &format!("/api/v1/moderation/activities/{aid}"),
            Some(&w.moderator.token),
        )
        .await
        .body;
    let version = current["version"].clone();
    app.act(
        &w.moderator,
        &format!("/api/v1/moderation/activities/{aid}/unpublish"),
        json!({"version": version, "reason_code": "other", "reason": "確認のため"}),
    )
    .await;
    let r = confirm(app, &token(app, "late@example.jp", "confirm")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(mails(app, "late@example.jp")
        .iter()
        .all(|(k, _)| k != "application_confirmed"));
}
