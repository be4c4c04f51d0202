//! The exports: the open data as CSV and JSON (read back with real parsers), the
//! secretariat's registrations (admin only, audited), and the statistics by two dimensions.

use crate::common::{settle, world, World};
use crate::public::{assert_public_shape, publish};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn parse_csv(raw: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::str::from_utf8(raw).expect("UTF-8");
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// One approved activity with text that CSV must quote, one that looks like a formula,
/// one pending and one rejected, in `w.campaign`.
async fn activities(w: &World) -> (Value, Value) {
    let tricky = publish(
        w,
        &w.org,
        json!({"categories": ["try_practice", "learn_discuss"], "title": "髙橋𠮷田の\"在宅\", 勤務",
               "description": "一行目, 二行目\n\"引用\"", "prefecture": "01", "format": "online",
               "starts_on": "2026-11-02", "ends_on": "2026-11-30", "url": "https://example.jp/t"}),
    )
    .await;
    let formula = publish(
        w,
        &w.ind,
        json!({"categories": ["support_cooperate"], "title": "=HYPERLINK(\"https://evil.example\")", "description": "d"}),
    )
    .await;
    let pending = w.app.draft(&w.org, &w.campaign, "審査待ちの活動").await;
    let id = pending["id"].as_str().unwrap();
    w.app
        .act(
            &w.org,
            &format!("/api/v1/activities/{id}/submit"),
            json!({"version": 1}),
        )
        .await;
    (tricky, formula)
}

#[actix_web::test]
async fn open_data_as_csv_and_json_round_trips_and_shows_nothing_private() {
    let w = world().await;
    let (tricky, formula) = activities(&w).await;
    settle().await;
    let path = format!("/api/v1/public/export.csv?campaign={}", w.campaign);
    let r = w.app.get(&path, None).await;
    assert_eq!(r.status, 200, "{:?}", r.raw);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.header("link").unwrap().ends_with("rel=\"license\""),
        "{:?}",
        r.header("link")
    );
    assert!(!r.raw.starts_with(BOM));
    let (header, rows) = parse_csv(&r.raw);
    assert_eq!(
        header,
        [
            "ID",
            "キャンペーン",
            "カテゴリ",
            "タイトル",
            "概要",
            "団体名・氏名",
            "種別",
            "業種コード",
            "都道府県コード",
            "都道府県名",
            "形式",
            "開始日",
            "終了日",
            "URL",
            "承認日時"
        ]
    );
    assert_eq!(rows.len(), 2, "approved activities only: {rows:?}");
    let t = rows.iter().find(|r| r[0] == tricky["id"]).expect("the tricky one");
    assert_eq!(t[2], "テレワークを試みる/実践する;テレワークを学ぶ/議論する");
    assert_eq!(t[3], "髙橋𠮷田の\"在宅\", 勤務");
    assert_eq!(t[4], "一行目, 二行目\n\"引用\"");
    assert_eq!((t[6].as_str(), t[8].as_str(), t[9].as_str()), ("団体", "01", "北海道"));
    assert_eq!(
        (t[10].as_str(), t[11].as_str(), t[12].as_str()),
        ("オンライン", "2026-11-02", "2026-11-30")
    );
    assert!(t[14].ends_with("+09:00"), "{}", t[14]);
    let f = rows.iter().find(|r| r[0] == formula["id"]).unwrap();
    assert!(f[3].starts_with("'="), "a formula stays text: {}", f[3]);
    assert_eq!(f[6], "個人");

    // The BOM variant opens as UTF-8 with the same rows.
    let bom = w.app.get(&format!("{path}&bom=true"), None).await;
    assert!(bom.raw.starts_with(BOM));
    assert_eq!(parse_csv(&bom.raw[BOM.len()..]).1, rows);

    // JSON: the public view, the licence, the total.
    let j = w
        .app
        .get(&format!("/api/v1/public/export.json?campaign={}", w.campaign), None)
        .await;
    assert_eq!(j.status, 200);
    let doc: Value = serde_json::from_slice(&j.raw).unwrap();
    assert_eq!(doc["campaign"]["slug"], w.campaign.as_str());
    assert!(doc["license"]["url"].as_str().unwrap().starts_with("https://"));
    assert_eq!(doc["total"], 2);
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert_public_shape(item);
    }
    let listed = w
        .app
        .get(&format!("/api/v1/public/activities?campaign={}", w.campaign), None)
        .await;
    assert_eq!(
        items,
        listed.body["items"].as_array().unwrap(),
        "the same view as the listing"
    );

    // Nothing private in either.
    for body in [&r.raw, &bom.raw, &j.raw] {
        let body = String::from_utf8_lossy(body);
        for secret in [
            w.org.email.as_str(),
            w.ind.email.as_str(),
            "03-1234-5678",
            "連絡 担当",
            w.org.id.as_str(),
            "審査待ちの活動",
            "\"status\"",
        ] {
            assert!(!body.contains(secret), "an export contains {secret}");
        }
    }

    // ETag and 304, like the rest of /public; a change makes a new tag.
    let tag = r.header("etag").unwrap().to_owned();
    let req = TestRequest::default()
        .method(Method::GET)
        .uri(&path)
        .insert_header(("If-None-Match", tag.clone()));
    let again = w.app.send_raw(req).await;
    assert_eq!((again.status, again.raw.len()), (304, 0));
    publish(
        &w,
        &w.org,
        json!({"categories": ["try_practice"], "title": "三つ目", "description": "d"}),
    )
    .await;
    settle().await;
    let req = TestRequest::default()
        .method(Method::GET)
        .uri(&path)
        .insert_header(("If-None-Match", tag));
    let changed = w.app.send_raw(req).await;
    assert_eq!(changed.status, 200);
    assert_eq!(parse_csv(&changed.raw).1.len(), 3);
    // The exports carry the campaign's title: renaming it makes a new tag too.
    let tag = changed.header("etag").unwrap().to_owned();
    let r = w
        .app
        .patch(
            &format!("/api/v1/admin/campaigns/{}", w.campaign),
            Some(&w.admin.token),
            json!({"version": 1, "title": "テレワーク月間 2026（改称）"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let req = TestRequest::default()
        .method(Method::GET)
        .uri(&path)
        .insert_header(("If-None-Match", tag));
    let renamed = w.app.send_raw(req).await;
    assert_eq!(renamed.status, 200, "a rename kept the old tag");
    assert!(String::from_utf8_lossy(&renamed.raw).contains("テレワーク月間 2026（改称）"));
}

/// `app` with the demo campaign seeded with `n` approved activities.
async fn seeded(app: &crate::common::TestApp, n: usize) {
    let pool = app.pool.clone();
    actix_web::rt::task::spawn_blocking(move || telework_registry::seed::seed_demo(&pool, n))
        .await
        .unwrap()
        .unwrap();
    settle().await;
}

#[actix_web::test]
async fn an_export_of_many_pages_has_every_row_once() {
    let w = world().await;
    let app = &w.app;
    seeded(app, 1_234).await;
    let r = app.get("/api/v1/public/export.csv?campaign=demo", None).await;
    let (_, rows) = parse_csv(&r.raw);
    let ids: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!((rows.len(), ids.len()), (1_234, 1_234));
    let j = app.get("/api/v1/public/export.json?campaign=demo", None).await;
    let doc: Value = serde_json::from_slice(&j.raw).unwrap();
    let json_ids: BTreeSet<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!((doc["total"].as_u64(), json_ids), (Some(1_234), ids));
    let listed = app.get("/api/v1/public/activities?campaign=demo&limit=1", None).await;
    assert_eq!(listed.body["total"], 1_234);
    assert_eq!(
        listed.body["items"][0]["id"].as_str(),
        Some(rows[0][0].as_str()),
        "newest first"
    );
}

#[actix_web::test]
async fn bad_export_requests_are_refused() {
    let w = world().await;
    for (path, code) in [
        ("/api/v1/public/export.csv", "validation_failed"),
        ("/api/v1/public/export.csv?campaign=nope", "unknown_campaign"),
        ("/api/v1/public/export.json?campaign=nope", "unknown_campaign"),
        ("/api/v1/public/export.csv?campaign=x&bom=maybe", "validation_failed"),
        ("/api/v1/public/export.csv?campaign=x&extra=1", "validation_failed"),
        ("/api/v1/public/stats?by=prefecture", "validation_failed"),
        ("/api/v1/public/stats?by=prefecture,prefecture", "validation_failed"),
        ("/api/v1/public/stats?by=prefecture,colour", "validation_failed"),
    ] {
        let r = w.app.get(path, None).await;
        // An unknown campaign is a field error, as on the listing's filter.
        let got = r.body["errors"][0]["code"]
            .as_str()
            .filter(|c| *c == "unknown_campaign");
        assert_eq!(
            (r.status, got.or(r.body["code"].as_str())),
            (400, Some(code)),
            "{path}: {}",
            r.body
        );
    }
    let j = w
        .app
        .get(
            &format!("/api/v1/public/export.json?campaign={}&bom=true", w.campaign),
            None,
        )
        .await;
    assert_eq!(j.status, 400);
    let r = w
        .app
        .get(
            "/api/v1/admin/export/registrations.csv?campaign=nope",
            Some(&w.admin.token),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (400, Some("unknown_campaign"))
    );
}

#[actix_web::test]
async fn the_secretariat_export_has_every_registration_with_contact_data_and_is_audited() {
    let w = world().await;
    let (tricky, _) = activities(&w).await;
    let path = format!("/api/v1/admin/export/registrations.csv?campaign={}", w.campaign);
    let r = w.app.get(&path, Some(&w.admin.token)).await;
    assert_eq!(r.status, 200, "{:?}", r.raw);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.raw.starts_with(BOM));
    let (header, rows) = parse_csv(&r.raw[BOM.len()..]);
    assert_eq!(rows.len(), 3, "approved and pending alike");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let statuses: BTreeSet<&str> = rows.iter().map(|r| r[col("状態")].as_str()).collect();
    assert_eq!(statuses, BTreeSet::from(["approved", "pending"]));
    let t = rows.iter().find(|r| r[0] == tricky["id"]).unwrap();
    assert_eq!(t[col("メールアドレス")], w.org.email);
    assert_eq!(t[col("アカウントID")], w.org.id);
    assert_eq!(t[col("タイトル")], "髙橋𠮷田の\"在宅\", 勤務");
    // The download is in the audit log: who, which campaign, how many rows.
    let log = w
        .app
        .get("/api/v1/admin/audit?action=export_registrations", Some(&w.admin.token))
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let events = log.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", log.body);
    assert_eq!(events[0]["actor_id"], w.admin.id.as_str());
    assert!(
        events[0]["reason"].as_str().unwrap().contains(": 3 rows"),
        "{}",
        events[0]
    );
    // Staff who are not admins get nothing.
    let m = w.app.get(&path, Some(&w.moderator.token)).await;
    assert_eq!(m.status, 403);
}

fn of_campaign(stats: &Value, campaign: &str) -> Value {
    stats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["campaign"] == campaign)
        .unwrap()
        .clone()
}

#[actix_web::test]
async fn statistics_by_two_dimensions() {
    let w = world().await;
    for (pref, title) in [("01", "北海道の一"), ("01", "北海道の二"), ("13", "東京の一")] {
        publish(
            &w,
            &w.org,
            json!({"categories": ["try_practice"], "title": title, "description": "d", "prefecture": pref}),
        )
        .await;
    }
    publish(&w, &w.ind, json!({"categories": ["try_practice", "learn_discuss"], "title": "個人", "description": "d", "prefecture": "01"})).await;
    settle().await;
    let r = w.app.get("/api/v1/public/stats?by=prefecture,industry", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = of_campaign(&r.body, &w.campaign);
    assert_eq!(s["cross"]["by"], json!(["prefecture", "industry"]));
    // The test organization is in JSIC division G (情報通信業); organizations only under
    // `industry`: the individual's activity is not counted.
    assert_eq!(s["cross"]["counts"], json!({"01": {"G": 2}, "13": {"G": 1}}));
    let r = w.app.get("/api/v1/public/stats?by=category,kind", None).await;
    let s = of_campaign(&r.body, &w.campaign);
    assert_eq!(
        s["cross"]["counts"],
        json!({"try_practice": {"organization": 3, "individual": 1}, "learn_discuss": {"individual": 1}})
    );
    // Without `by` the shape is as before.
    let plain = w.app.get("/api/v1/public/stats", None).await;
    assert!(plain.body["items"][0].get("cross").is_none());
}

/// Public exports run at most `EXPORT_CONCURRENCY` at once: while that many clients are
/// still reading, every other download is turned away at once with 503 `exports_busy` and
/// `Retry-After` (the pool keeps connections for everyone else), and a slot is free again
/// as soon as a reader goes.
#[actix_web::test]
async fn exports_beyond_the_concurrency_limit_are_turned_away_until_a_slot_is_free() {
    let app = crate::common::TestApp::with(|c| c.export_concurrency = 2).await;
    // Six pages of rows: an export whose client does not read waits after four.
    seeded(&app, 2_600).await;
    let csv = "/api/v1/public/export.csv?campaign=demo";
    let json = "/api/v1/public/export.json?campaign=demo";
    let seen = app.get(csv, None).await;
    let tag = seen.header("etag").expect("an ETag").to_owned();
    let held = [
        app.open(TestRequest::get().uri(csv)).await,
        app.open(TestRequest::get().uri(json)).await,
    ];
    assert!(held.iter().all(|r| r.status() == 200));
    let busy = futures_util::future::join_all((0..8).map(|i| app.get(if i % 2 == 0 { csv } else { json }, None))).await;
    for r in &busy {
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.header("retry-after")),
            (503, Some("exports_busy"), Some("5")),
            "{}",
            r.body
        );
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    // A revalidation of what a client holds needs no slot.
    let again = app
        .open(
            TestRequest::get()
                .uri(csv)
                .insert_header(("If-None-Match", tag.as_str())),
        )
        .await;
    assert_eq!(again.status(), 304);
    // Everything else still answers.
    let listed = app.get("/api/v1/public/activities?campaign=demo&limit=1", None).await;
    assert_eq!((listed.status, listed.body["total"].as_i64()), (200, Some(2_600)));
    // One reader goes: its export stops and its slot is free within moments.
    let [first, second] = held;
    drop(first);
    let mut freed = None;
    for _ in 0..100 {
        let r = app.get(csv, None).await;
        if r.status == 200 {
            freed = Some(r);
            break;
        }
        assert_eq!(r.body["code"], "exports_busy");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let freed = freed.expect("a slot was given back");
    assert_eq!(parse_csv(&freed.raw).1.len(), 2_600, "a complete export");
    // A client that has read a whole export finds its slot free at once, while the other
    // slot is still held.
    for _ in 0..3 {
        assert_eq!(app.get(csv, None).await.status, 200);
    }
    let third = app.open(TestRequest::get().uri(json)).await;
    assert_eq!(third.status(), 200);
    let r = app.get(csv, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("exports_busy")),
        "two readers hold both slots"
    );
    drop((second, third));
}
