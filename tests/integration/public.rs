//! The public listing: only public fields, filters, Japanese search, pagination, caching,
//! the Atom feed and CORS.

use crate::common::{settle, world, TestApp, User, World};
use actix_web::test::TestRequest;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The public fields of a session: never `online_url`, never an applicant.
const SESSION_FIELDS: [&str; 15] = [
    "id",
    "starts_at",
    "ends_at",
    "format",
    "venue",
    "fee",
    "capacity",
    "confirmed",
    "remaining",
    "waitlisted",
    "waitlist",
    "applications_open_at",
    "applications_close_at",
    "questions",
    "open_status",
];

const PUBLIC_FIELDS: [&str; 15] = [
    "id",
    "campaign",
    "categories",
    "title",
    "description",
    "organizer_name",
    "kind",
    "industry",
    "prefecture",
    "format",
    "starts_on",
    "ends_on",
    "url",
    "approved_at",
    "sessions",
];

pub(crate) fn assert_public_shape(item: &Value) {
    let keys: BTreeSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    let allowed: BTreeSet<&str> = PUBLIC_FIELDS.into_iter().collect();
    assert!(
        keys.is_subset(&allowed),
        "private keys leaked: {:?}",
        keys.difference(&allowed).collect::<Vec<_>>()
    );
    for session in item["sessions"].as_array().into_iter().flatten() {
        let keys: BTreeSet<&str> = session.as_object().unwrap().keys().map(String::as_str).collect();
        let allowed: BTreeSet<&str> = SESSION_FIELDS.into_iter().collect();
        assert!(
            keys.is_subset(&allowed),
            "a session shows {:?}",
            keys.difference(&allowed).collect::<Vec<_>>()
        );
    }
}

pub(crate) async fn publish(w: &World, who: &User, body: Value) -> Value {
    let mut body = body;
    body["campaign"] = json!(w.campaign);
    let r = w.app.post("/api/v1/activities", Some(&who.token), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let aid = r.body["id"].as_str().unwrap().to_owned();
    let s = w
        .app
        .act(who, &format!("/api/v1/activities/{aid}/submit"), json!({"version": 1}))
        .await;
    w.app
        .act(
            &w.moderator,
            &format!("/api/v1/moderation/activities/{aid}/approve"),
            json!({"version": s["version"]}),
        )
        .await
}

pub(crate) fn titles(r: &Value) -> Vec<String> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn nothing_private_ever_appears_publicly() {
    let w = world().await;
    let a = publish(&w, &w.org, json!({"categories": ["try_practice"], "title": "公開される活動", "description": "説明", "url": "https://example.jp/a"})).await;
    let aid = a["id"].as_str().unwrap();
    // A pending revision must not leak either.
    let e = w
        .app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&w.org.token),
            json!({"version": a["version"], "title": "まだ承認されていない題"}),
        )
        .await;
    assert_eq!(e.status, 200);
    let mut bodies = Vec::new();
    for path in [
        "/api/v1/public/activities",
        &format!("/api/v1/public/activities/{aid}"),
        "/api/v1/public/stats",
        "/api/v1/public/stats?by=prefecture,industry",
        "/api/v1/public/feed.atom",
        &format!("/api/v1/public/export.csv?campaign={}", w.campaign),
        &format!("/api/v1/public/export.json?campaign={}", w.campaign),
    ] {
        let r = w.app.get(path, None).await;
        assert_eq!(r.status, 200, "{path}");
        bodies.push(String::from_utf8(r.raw.to_vec()).unwrap());
    }
    let list = w.app.get("/api/v1/public/activities", None).await;
    assert_public_shape(&list.body["items"][0]);
    assert_public_shape(&w.app.get(&format!("/api/v1/public/activities/{aid}"), None).await.body);
    for body in &bodies {
        for secret in [
            w.org.email.as_str(),
            "03-1234-5678",
            "連絡 担当",
            w.org.id.as_str(),
            "まだ承認されていない題",
            w.moderator.id.as_str(),
            "\"version\"",
            "\"status\"",
            "password",
        ] {
            assert!(!body.contains(secret), "public body contains {secret}: {body}");
        }
    }
}

#[actix_web::test]
async fn filters_combine() {
    let w = world().await;
    publish(&w, &w.org, json!({"categories": ["try_practice"], "title": "東京オンライン", "description": "d", "prefecture": "13", "format": "online"})).await;
    publish(&w, &w.org, json!({"categories": ["learn_discuss"], "title": "大阪会場", "description": "d", "prefecture": "27", "format": "onsite"})).await;
    publish(&w, &w.ind, json!({"categories": ["support_cooperate", "try_practice"], "title": "個人の応援", "description": "d", "prefecture": "13"})).await;
    let get = |q: &str| list(&w.app, q.to_owned());
    let r = get("").await;
    assert_eq!(
        (r.body["total"].as_i64(), titles(&r.body)),
        (
            Some(3),
            vec!["個人の応援".to_owned(), "大阪会場".into(), "東京オンライン".into()]
        )
    );
    assert_eq!(
        titles(&get("prefecture=13").await.body),
        vec!["個人の応援", "東京オンライン"]
    );
    assert_eq!(
        titles(&get("category=learn_discuss&category=support_cooperate").await.body),
        vec!["個人の応援", "大阪会場"]
    );
    assert_eq!(titles(&get("kind=individual").await.body), vec!["個人の応援"]);
    assert_eq!(titles(&get("format=onsite").await.body), vec!["大阪会場"]);
    assert_eq!(
        titles(&get("prefecture=13&category=try_practice&kind=organization").await.body),
        vec!["東京オンライン"]
    );
    let r = get(&format!("campaign={}&prefecture=01", w.campaign)).await;
    assert_eq!(
        (r.body["total"].as_i64(), r.body["items"].as_array().unwrap().len()),
        (Some(0), 0)
    );
    assert_eq!(get("campaign=none").await.status, 400);
    let r = get("prefecture=13").await;
    assert_eq!(r.body["items"][1]["industry"], "G");
    assert!(r.body["items"][0]["industry"].is_null());
}

#[actix_web::test]
async fn japanese_search_from_one_character_ignoring_width_and_case() {
    let w = world().await;
    publish(&w, &w.org, json!({"categories": ["learn_discuss"], "title": "DX推進ウェビナー", "description": "テレワークで働き方改革", "organizer_name": "ｻｸﾗ商事"})).await;
    publish(
        &w,
        &w.org,
        json!({"categories": ["try_practice"], "title": "在宅勤務デー", "description": "毎週金曜日"}),
    )
    .await;
    let search = |q: &str| search(&w.app, q.to_owned());
    assert_eq!(search("在").await, vec!["在宅勤務デー"]);
    assert_eq!(search("金曜").await, vec!["在宅勤務デー"]);
    assert_eq!(search("働き方改革").await, vec!["DX推進ウェビナー"]);
    assert_eq!(search("ｄｘ").await, vec!["DX推進ウェビナー"]);
    assert_eq!(search("dx").await, vec!["DX推進ウェビナー"]);
    assert_eq!(search("ＤＸ推進").await, vec!["DX推進ウェビナー"]);
    assert_eq!(search("サクラ").await, vec!["DX推進ウェビナー"]);
    assert_eq!(search("ﾃﾚﾜｰｸ").await, vec!["DX推進ウェビナー"]);
    assert!(search("存在しない語").await.is_empty());
    // Totals agree whether counted in the index alone or joined with other filters.
    for (query, expected) in [
        ("q=%E5%83%8D%E3%81%8D%E6%96%B9", 1),
        ("q=%E5%83%8D%E3%81%8D%E6%96%B9&kind=organization", 1),
        ("q=%E5%83%8D%E3%81%8D%E6%96%B9&kind=individual", 0),
        ("q=%E5%9C%A8&prefecture=01", 0),
    ] {
        let r = list(&w.app, query.to_owned()).await;
        assert_eq!(r.body["total"], expected, "{query}");
        let page2 = list(&w.app, format!("{query}&limit=1&cursor=MjAzMC0wMS0wMVQwMDowMDowMC4wMDAwMDB8MDE5MmYxYTAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw")).await;
        assert_eq!(page2.body["total"], expected, "{query} (a later page)");
    }
    assert!(search("%").await.is_empty());
    assert!(search("_").await.is_empty());
    // Query syntax of the index is not interpreted.
    assert!(search("\"テレ* OR ワーク").await.is_empty());
    assert_eq!(search("テレワークで").await, vec!["DX推進ウェビナー"]);
    // A withdrawn activity leaves the index.
    let mine = w
        .app
        .get("/api/v1/activities?status=approved", Some(&w.org.token))
        .await;
    let dx = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "DX推進ウェビナー")
        .unwrap()
        .clone();
    let aid = dx["id"].as_str().unwrap();
    w.app
        .act(
            &w.org,
            &format!("/api/v1/activities/{aid}/withdraw"),
            json!({"version": dx["version"]}),
        )
        .await;
    settle().await;
    assert!(search("働き方改革").await.is_empty());
    assert!(search("dx").await.is_empty());
}

/// The search indexes follow the public text through a revision: a pending revision is not
/// searchable, an approved one replaces the old text in every index (1, 2 and 3+ character
/// queries), and steps that leave the public text alone leave the search alone.
#[actix_web::test]
async fn search_follows_approved_revisions() {
    let w = world().await;
    let a = publish(
        &w,
        &w.org,
        json!({"categories": ["try_practice"], "title": "桜まつり在宅勤務", "description": "説明"}),
    )
    .await;
    let aid = a["id"].as_str().unwrap();
    let search = |q: &str| search(&w.app, q.to_owned());
    let edited = w
        .app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&w.org.token),
            json!({"version": a["version"], "title": "紅葉ウィーク"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    settle().await;
    for q in ["桜", "桜ま", "桜まつり"] {
        assert_eq!(
            search(q).await,
            vec!["桜まつり在宅勤務"],
            "{q} while the revision waits"
        );
    }
    for q in ["紅", "紅葉", "紅葉ウィーク"] {
        assert!(search(q).await.is_empty(), "{q} found before approval");
    }
    w.app
        .act(
            &w.moderator,
            &format!("/api/v1/moderation/activities/{aid}/approve"),
            json!({"version": edited.body["version"]}),
        )
        .await;
    settle().await;
    for q in ["紅", "紅葉", "紅葉ウィーク", "説明"] {
        assert_eq!(search(q).await, vec!["紅葉ウィーク"], "{q} after approval");
    }
    for q in ["桜", "桜ま", "桜まつり"] {
        assert!(search(q).await.is_empty(), "{q} still found after approval");
    }
}

async fn list(app: &TestApp, query: String) -> crate::common::Resp {
    app.get(&format!("/api/v1/public/activities?{query}"), None).await
}

async fn search(app: &TestApp, q: String) -> Vec<String> {
    titles(&list(app, format!("q={}", urlencode(&q))).await.body)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[actix_web::test]
async fn pagination_walks_every_item_once_against_total() {
    let w = world().await;
    for i in 0..7 {
        publish(
            &w,
            if i % 2 == 0 { &w.org } else { &w.ind },
            json!({"categories": ["try_practice"], "title": format!("活動{i}"), "description": "d"}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/public/activities?limit=3".to_owned();
    let total = loop {
        let r = w.app.get(&url, None).await;
        seen.extend(titles(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/public/activities?limit=3&cursor={c}"),
            None => break r.body["total"].as_i64().unwrap(),
        }
    };
    assert_eq!(total, 7);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (7, 7));
}

#[actix_web::test]
async fn etags_give_304_until_the_data_changes() {
    let w = world().await;
    let a = publish(
        &w,
        &w.org,
        json!({"categories": ["try_practice"], "title": "キャッシュ", "description": "d"}),
    )
    .await;
    let r = w.app.get("/api/v1/public/activities", None).await;
    let etag = r.header("etag").unwrap().to_owned();
    assert!(r.header("cache-control").unwrap().contains("public"));
    let again = w
        .app
        .send(
            TestRequest::get()
                .uri("/api/v1/public/activities")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(again.status, 304);
    let aid = a["id"].as_str().unwrap();
    w.app
        .act(
            &w.org,
            &format!("/api/v1/activities/{aid}/withdraw"),
            json!({"version": a["version"]}),
        )
        .await;
    settle().await;
    let after = w
        .app
        .send(
            TestRequest::get()
                .uri("/api/v1/public/activities")
                .insert_header(("if-none-match", etag)),
        )
        .await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["total"], 0);
}
