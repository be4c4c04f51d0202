//! Next year's entry: a copy of an activity into another campaign, with its sessions and
//! none of their applicants, and the registrant's list by campaign.

use crate::event_util::{applications, confirm, session, token, with_activity};
use diesel::prelude::*;
use serde_json::json;
use telework_registry::db::schema::activities;

#[actix_web::test]
async fn a_copy_is_a_new_draft_with_the_text_and_sessions_but_no_applicants() {
    let (w, id) = with_activity().await;
    let s = session(&w.app, &w.org, &id, json!({"capacity": 10, "questions": ["所属"]})).await;
    let sid = s["id"].as_str().unwrap();
    let applied = w
        .app
        .post(
            &format!("/api/v1/public/sessions/{sid}/applications"),
            None,
            json!({"name": "山田 太郎", "email": "sanka@example.jp", "answers": ["総務部"]}),
        )
        .await;
    assert_eq!(applied.status, 202, "{}", applied.body);
    let t = token(&w.app, "sanka@example.jp", "confirm");
    assert_eq!(confirm(&w.app, &t).await.status, 200);
    let cancelled = session(&w.app, &w.org, &id, json!({})).await;
    let cid = cancelled["id"].as_str().unwrap();
    let c = w
        .app
        .post(
            &format!("/api/v1/activities/{id}/sessions/{cid}/cancel"),
            Some(&w.org.token),
            json!({"version": cancelled["version"]}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    // A pending revision stays behind: the copy takes the activity's own text.
    let current = w
        .app
        .get(&format!("/api/v1/activities/{id}"), Some(&w.org.token))
        .await
        .body;
    let e = w
        .app
        .patch(
            &format!("/api/v1/activities/{id}"),
            Some(&w.org.token),
            json!({"version": current["version"], "title": "改訂中の題"}),
        )
        .await;
    assert_eq!(e.status, 200, "{}", e.body);

    let next = w.app.open_campaign(&w.admin).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/activities/{id}/copy"),
            Some(&w.org.token),
            json!({"campaign": next}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let copy = r.body.clone();
    let cid2 = copy["id"].as_str().unwrap();
    assert_ne!(cid2, id);
    assert_eq!(
        (copy["status"].as_str(), copy["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert_eq!(copy["campaign"], next.as_str());
    assert_eq!(copy["title"], current["title"]);
    assert_eq!(copy["categories"], current["categories"]);
    assert_eq!(copy["organizer_name"], current["organizer_name"]);

    // One session (not the cancelled one), the same settings, nobody applied.
    let sessions = w
        .app
        .get(&format!("/api/v1/activities/{cid2}/sessions"), Some(&w.org.token))
        .await;
    let items = sessions.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", sessions.body);
    assert_ne!(items[0]["id"], s["id"]);
    assert_eq!(
        (items[0]["capacity"].clone(), items[0]["questions"].clone()),
        (json!(10), json!(["所属"]))
    );
    assert_eq!(items[0]["confirmed"], 0);
    let new_sid = items[0]["id"].as_str().unwrap();
    let apps = applications(&w.app, &w.org, cid2, new_sid, "").await;
    assert_eq!(apps.body["items"].as_array().unwrap().len(), 0);
    // The original keeps its applicant.
    let old = applications(&w.app, &w.org, &id, sid, "").await;
    assert_eq!(old.body["items"].as_array().unwrap().len(), 1);

    // Audited on the new draft; its duplicate keys are set like any draft's.
    let history = w
        .app
        .get(&format!("/api/v1/activities/{cid2}/history"), Some(&w.moderator.token))
        .await;
    let events = history.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", history.body);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(
        events[0]["reason"],
        format!("copied from {id}").as_str(),
        "{}",
        events[0]
    );
    let keys: (Option<String>, Option<String>) = activities::table
        .find(cid2)
        .select((activities::title_key, activities::organizer_key))
        .first(&mut *w.app.pool.get().unwrap())
        .unwrap();
    assert!(
        keys.0.as_ref().is_some_and(|k| !k.is_empty()) && keys.1.is_some(),
        "{keys:?}"
    );

    // The registrant's list by campaign.
    let mine = w
        .app
        .get(&format!("/api/v1/activities?campaign={next}"), Some(&w.org.token))
        .await;
    let ids: Vec<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![cid2]);
    let old_list = w
        .app
        .get(
            &format!("/api/v1/activities?campaign={}", w.campaign),
            Some(&w.org.token),
        )
        .await;
    assert_eq!(old_list.body["items"].as_array().unwrap().len(), 1);
    let unknown = w.app.get("/api/v1/activities?campaign=nope", Some(&w.org.token)).await;
    assert_eq!(
        (unknown.status, unknown.body["errors"][0]["code"].as_str()),
        (400, Some("unknown_campaign"))
    );
}

#[actix_web::test]
async fn copies_that_cannot_be_made_change_nothing() {
    let (w, id) = with_activity().await;
    let next = w.app.open_campaign(&w.admin).await;
    let copy = |who: String, body: serde_json::Value| {
        let path = format!("/api/v1/activities/{id}/copy");
        let app = &w.app;
        async move { app.post(&path, Some(&who), body).await }
    };
    let same = copy(w.org.token.clone(), json!({"campaign": w.campaign})).await;
    assert_eq!((same.status, same.body["code"].as_str()), (422, Some("same_campaign")));
    let unknown = copy(w.org.token.clone(), json!({"campaign": "nope"})).await;
    assert_eq!(
        (unknown.status, unknown.body["errors"][0]["code"].as_str()),
        (400, Some("unknown_campaign"))
    );
    let theirs = copy(w.ind.token.clone(), json!({"campaign": next})).await;
    assert_eq!(theirs.status, 404, "another owner's activity");
    let bad = copy(w.org.token.clone(), json!({"campaign": next, "title": "x"})).await;
    assert_eq!(bad.status, 400);
    let n: i64 = activities::table
        .count()
        .get_result(&mut *w.app.pool.get().unwrap())
        .unwrap();
    assert_eq!(n, 1, "no copy was made");
}
