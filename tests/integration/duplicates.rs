//! The queue's duplicate flags (each reason found, look-alikes that differ not flagged, the
//! `duplicates=true` filter) and the queue sorted by campaign with its three-part cursor.

use crate::common::{world, TestApp, User};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A pending activity of `owner` in `campaign`.
async fn pending(app: &TestApp, owner: &User, campaign: &str, title: &str, organizer: Option<&str>) -> String {
    let mut body = json!({"campaign": campaign, "categories": ["try_practice"], "title": title, "description": "説明"});
    if let Some(o) = organizer {
        body["organizer_name"] = json!(o);
    }
    let r = app.post("/api/v1/activities", Some(&owner.token), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let s = app
        .act(
            owner,
            &format!("/api/v1/activities/{id}/submit"),
            json!({"version": r.body["version"]}),
        )
        .await;
    assert_eq!(s["status"], "pending", "{s}");
    id
}

/// Each item's flags in the queue, as (other id, reason) sets by item id.
async fn queue_flags(app: &TestApp, moderator: &User, query: &str) -> Vec<(String, BTreeSet<(String, String)>)> {
    let r = app
        .get(&format!("/api/v1/moderation/queue{query}"), Some(&moderator.token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["activity"]["id"].as_str().unwrap().to_owned(),
                flags(&i["possible_duplicates"]),
            )
        })
        .collect()
}

fn flags(v: &Value) -> BTreeSet<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(id: &str, reason: &str) -> (String, String) {
    (id.to_owned(), reason.to_owned())
}

#[actix_web::test]
async fn each_reason_is_flagged_and_look_alikes_that_differ_are_not() {
    let w = world().await;
    let app = &w.app;
    let other_campaign = app.open_campaign(&w.admin).await;

    // 1. The same account, the same title but for width, spaces and punctuation.
    let t1 = pending(app, &w.org, &w.campaign, "テレワーク体験会 2026", None).await;
    let t2 = pending(app, &w.org, &w.campaign, "ﾃﾚﾜｰｸ体験会・２０２６！", None).await;
    // Differs in a number: not flagged; in another campaign: not flagged.
    let t3 = pending(app, &w.org, &w.campaign, "テレワーク体験会 2027", None).await;
    let t4 = pending(app, &w.org, &other_campaign, "テレワーク体験会 2026", None).await;
    // A draft with the same title is no registration yet.
    app.draft(&w.org, &w.campaign, "テレワーク体験会2026").await;

    // 3. Another account, the same organizer name but for the company type and width.
    let a = app.registrant("organization").await;
    let b = app.registrant("organization").await;
    let o1 = pending(app, &a, &w.campaign, "在宅勤務の実践", Some("株式会社テレワーク商事")).await;
    let o2 = pending(app, &b, &w.campaign, "オンライン研修", Some("ﾃﾚﾜｰｸ商事 ㈱")).await;
    let o3 = pending(app, &b, &w.campaign, "サテライト勤務", Some("株式会社テレワーク商会")).await;

    // 2. A corporate number one account gave up and another took: the history remembers.
    let c = app.registrant("organization").await;
    let d = app.registrant("organization").await;
    let set = |u: &User, number: Option<&str>| {
        let token = u.token.clone();
        let body = json!({ "corporate_number": number });
        async move {
            let r = app.patch("/api/v1/me", Some(&token), body).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    };
    set(&c, Some("1180301018771")).await;
    set(&c, Some("9180301018772")).await;
    set(&d, Some("1180301018771")).await;
    let c1 = pending(app, &c, &w.campaign, "時差出勤の試行", Some("シー組合")).await;
    let d1 = pending(app, &d, &w.campaign, "フレックスの導入", Some("ディー財団")).await;
    // A third account with a number nobody else held: not flagged.
    let e = app.registrant("organization").await;
    set(&e, Some("8700110005901")).await;
    let e1 = pending(app, &e, &w.campaign, "ワーケーション", Some("イー協会")).await;

    let all: std::collections::BTreeMap<String, BTreeSet<(String, String)>> =
        queue_flags(app, &w.moderator, "?limit=100").await.into_iter().collect();
    let none = BTreeSet::new();
    assert_eq!(all[&t1], BTreeSet::from([pair(&t2, "same_account_title")]));
    assert_eq!(all[&t2], BTreeSet::from([pair(&t1, "same_account_title")]));
    assert_eq!(all[&t3], none);
    assert_eq!(all[&t4], none);
    assert_eq!(all[&o1], BTreeSet::from([pair(&o2, "same_organizer_name")]));
    assert_eq!(all[&o2], BTreeSet::from([pair(&o1, "same_organizer_name")]));
    assert_eq!(all[&o3], none);
    assert_eq!(all[&c1], BTreeSet::from([pair(&d1, "same_corporate_number")]));
    assert_eq!(all[&d1], BTreeSet::from([pair(&c1, "same_corporate_number")]));
    assert_eq!(all[&e1], none);

    // The moderation view carries them too.
    let view = app
        .get(&format!("/api/v1/moderation/activities/{o2}"), Some(&w.moderator.token))
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(
        flags(&view.body["possible_duplicates"]),
        BTreeSet::from([pair(&o1, "same_organizer_name")])
    );
    assert_eq!(view.body["owner"]["id"], json!(b.id));

    // duplicates=true keeps exactly the flagged items, in queue order.
    let flagged: Vec<String> = queue_flags(app, &w.moderator, "?duplicates=true&limit=100")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut expected = vec![t1.clone(), t2.clone(), o1.clone(), o2.clone(), c1.clone(), d1.clone()];
    let order: Vec<String> = queue_flags(app, &w.moderator, "?limit=100")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    expected.sort_by_key(|id| order.iter().position(|o| o == id));
    assert_eq!(flagged, expected);
    assert_eq!(
        queue_flags(app, &w.moderator, "?duplicates=false&limit=100")
            .await
            .len(),
        order.len()
    );
    let bad = app
        .get("/api/v1/moderation/queue?duplicates=yes", Some(&w.moderator.token))
        .await;
    assert_eq!(bad.status, 400);

    // Once decided, an item stays a look-alike of the others (an approved one counts)...
    let approved = app
        .act(
            &w.moderator,
            &format!("/api/v1/moderation/activities/{t2}/approve"),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(approved["status"], "approved", "{approved}");
    let all: std::collections::BTreeMap<_, _> =
        queue_flags(app, &w.moderator, "?limit=100").await.into_iter().collect();
    assert_eq!(all[&t1], BTreeSet::from([pair(&t2, "same_account_title")]));
    // ...but a withdrawn one does not.
    let withdrawn = app
        .act(&b, &format!("/api/v1/activities/{o2}/withdraw"), json!({"version": 2}))
        .await;
    assert_eq!(withdrawn["status"], "withdrawn", "{withdrawn}");
    let all: std::collections::BTreeMap<_, _> =
        queue_flags(app, &w.moderator, "?limit=100").await.into_iter().collect();
    assert_eq!(all[&o1], none);
}

#[actix_web::test]
async fn the_queue_sorts_by_campaign_with_a_cursor() {
    let w = world().await;
    let app = &w.app;
    let second = app.open_campaign(&w.admin).await;
    let (first, second) = if w.campaign < second {
        (w.campaign.clone(), second)
    } else {
        (second, w.campaign.clone())
    };
    let mut expected = Vec::new();
    let mut later = Vec::new();
    for i in 0..3 {
        later.push(pending(app, &w.org, &second, &format!("後の{i}"), None).await);
        expected.push(pending(app, &w.org, &first, &format!("先の{i}"), None).await);
    }
    expected.extend(later);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/moderation/queue?sort=campaign&limit=2&cursor={c}"),
            None => "/api/v1/moderation/queue?sort=campaign&limit=2".to_owned(),
        };
        let r = app.get(&q, Some(&w.moderator.token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for i in r.body["items"].as_array().unwrap() {
            seen.push(i["activity"]["id"].as_str().unwrap().to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every item once, by campaign then oldest first");
}

#[actix_web::test]
async fn activities_from_before_the_keys_get_them_at_start() {
    use diesel::RunQueryDsl;
    let w = world().await;
    let app = &w.app;
    let a = pending(app, &w.org, &w.campaign, "古い登録", None).await;
    let b = pending(app, &w.org, &w.campaign, "古い 登録！", None).await;
    // As a database migrated from before the keys has them.
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query("UPDATE activities SET title_key = NULL, organizer_key = NULL")
        .execute(&mut *conn)
        .unwrap();
    let before: std::collections::BTreeMap<_, _> = queue_flags(app, &w.moderator, "").await.into_iter().collect();
    assert_eq!(before[&a], BTreeSet::new());
    let n = telework_registry::db::duplicates::backfill(&mut conn).unwrap();
    assert!(n >= 2, "{n}");
    assert_eq!(
        telework_registry::db::duplicates::backfill(&mut conn).unwrap(),
        0,
        "done once"
    );
    let after: std::collections::BTreeMap<_, _> = queue_flags(app, &w.moderator, "").await.into_iter().collect();
    assert_eq!(after[&a], BTreeSet::from([pair(&b, "same_account_title")]));
}
