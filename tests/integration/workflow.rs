//! The approval workflow end to end, its refusals, ownership, and concurrency.

use crate::common::{settle, world, TestApp, World};
use serde_json::{json, Value};

pub(crate) fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn public_title(app: &TestApp, id: &str) -> Option<String> {
    let r = app.get(&format!("/api/v1/public/activities/{id}"), None).await;
    (r.status == 200).then(|| r.body["title"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn the_whole_story() {
    let World {
        app,
        campaign,
        org: owner,
        moderator,
        ..
    } = world().await;

    let draft = app.draft(&owner, &campaign, "全社テレワーク・デイズ").await;
    assert_eq!(
        (draft["status"].as_str(), draft["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    let me = app.get("/api/v1/me", Some(&owner.token)).await;
    assert_eq!(draft["organizer_name"], me.body["display_name"]);
    let aid = id(&draft);
    let submitted = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/submit"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(submitted["status"], "pending");
    assert_eq!(submitted["queue"]["position"], 1);

    let queue = app.get("/api/v1/moderation/queue", Some(&moderator.token)).await;
    assert_eq!(queue.body["items"][0]["kind"], "submission");
    assert_eq!(queue.body["items"][0]["activity"]["owner"]["phone"], "03-1234-5678");
    assert!(public_title(&app, &aid).await.is_none());

    let approved = app
        .act(
            &moderator,
            &format!("/api/v1/moderation/activities/{aid}/approve"),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(approved["status"], "approved");
    settle().await;
    assert_eq!(
        public_title(&app, &aid).await.as_deref(),
        Some("全社テレワーク・デイズ")
    );

    // Editing an approved activity leaves the public text alone.
    let edited = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&owner.token),
            json!({"version": 3, "title": "全社テレワーク・ウィーク"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["title"], "全社テレワーク・デイズ");
    assert_eq!(edited.body["pending_revision"]["title"], "全社テレワーク・ウィーク");
    settle().await;
    assert_eq!(
        public_title(&app, &aid).await.as_deref(),
        Some("全社テレワーク・デイズ")
    );
    let queue = app.get("/api/v1/moderation/queue", Some(&moderator.token)).await;
    let item = &queue.body["items"][0];
    assert_eq!(item["kind"], "revision");
    assert_eq!(
        item["changes"],
        json!([{"field": "title", "old": "全社テレワーク・デイズ", "new": "全社テレワーク・ウィーク"}])
    );

    // Rejecting the revision keeps the public text and tells the owner why.
    let rejected = app
        .act(
            &moderator,
            &format!("/api/v1/moderation/activities/{aid}/reject"),
            json!({"version": 4, "reason_code": "incomplete", "reason": "期間を明記してください"}),
        )
        .await;
    assert_eq!(rejected["status"], "approved");
    assert!(rejected["pending_revision"].is_null());
    let mine = app.get(&format!("/api/v1/activities/{aid}"), Some(&owner.token)).await;
    assert_eq!(mine.body["rejection_reason"], "期間を明記してください");
    assert_eq!(
        public_title(&app, &aid).await.as_deref(),
        Some("全社テレワーク・デイズ")
    );

    // A new revision, approved, replaces the public text.
    let v = mine.body["version"].as_i64().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&owner.token),
            json!({"version": v, "title": "全社テレワーク・マンス"}),
        )
        .await;
    let v = r.body["version"].as_i64().unwrap();
    app.act(
        &moderator,
        &format!("/api/v1/moderation/activities/{aid}/approve"),
        json!({"version": v}),
    )
    .await;
    settle().await;
    assert_eq!(
        public_title(&app, &aid).await.as_deref(),
        Some("全社テレワーク・マンス")
    );

    // Withdrawing takes it off the public listing.
    let mine = app.get(&format!("/api/v1/activities/{aid}"), Some(&owner.token)).await;
    let w = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/withdraw"),
            json!({"version": mine.body["version"]}),
        )
        .await;
    assert_eq!(w["status"], "withdrawn");
    settle().await;
    assert!(public_title(&app, &aid).await.is_none());

    // The history has every step; the owner does not see moderator identities.
    let h = app
        .get(&format!("/api/v1/activities/{aid}/history"), Some(&owner.token))
        .await;
    let actions: Vec<&str> = h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "create",
            "submit",
            "approve",
            "edit_revision",
            "reject_revision",
            "edit_revision",
            "approve_revision",
            "withdraw"
        ]
    );
    let approve = &h.body["items"][2];
    assert!(approve["actor_id"].is_null());
    assert_eq!(approve["actor_role"], "moderator");
    let h = app
        .get(&format!("/api/v1/activities/{aid}/history"), Some(&moderator.token))
        .await;
    assert_eq!(h.body["items"][2]["actor_id"], moderator.id.as_str());
}

#[actix_web::test]
async fn unpublish_suspends_and_resubmission_works() {
    let World {
        app,
        campaign,
        ind: owner,
        moderator,
        ..
    } = world().await;
    let a = app.approved(&owner, &moderator, &campaign, "在宅勤務の一日").await;
    let aid = id(&a);
    let r = app
        .post(
            &format!("/api/v1/moderation/activities/{aid}/unpublish"),
            Some(&moderator.token),
            json!({"version": a["version"], "reason_code": "nonsense", "reason": ""}),
        )
        .await;
    assert_eq!(r.status, 400);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["reason_code", "reason"]);
    let s = app
        .act(
            &moderator,
            &format!("/api/v1/moderation/activities/{aid}/unpublish"),
            json!({"version": a["version"], "reason_code": "inappropriate", "reason": "表現を見直してください"}),
        )
        .await;
    assert_eq!(s["status"], "suspended");
    settle().await;
    assert!(public_title(&app, &aid).await.is_none());
    let e = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&owner.token),
            json!({"version": s["version"], "title": "在宅勤務の一日（改訂）"}),
        )
        .await;
    assert_eq!(e.body["title"], "在宅勤務の一日（改訂）");
    let p = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/submit"),
            json!({"version": e.body["version"]}),
        )
        .await;
    assert_eq!(p["status"], "pending");
}

#[actix_web::test]
async fn illegal_transitions_and_stale_versions_are_409s() {
    let World {
        app,
        campaign,
        org: owner,
        moderator,
        ..
    } = world().await;
    let d = app.draft(&owner, &campaign, "テレワーク導入セミナー").await;
    let aid = id(&d);
    // A draft cannot be approved, rejected, unpublished or withdrawn twice.
    for (path, body) in [
        ("approve", json!({"version": 1})),
        ("reject", json!({"version": 1, "reason_code": "other", "reason": "x"})),
        (
            "unpublish",
            json!({"version": 1, "reason_code": "other", "reason": "x"}),
        ),
    ] {
        let r = app
            .post(
                &format!("/api/v1/moderation/activities/{aid}/{path}"),
                Some(&moderator.token),
                body,
            )
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("invalid_transition")),
            "{path}"
        );
        assert_eq!(r.body["current"]["status"], "draft");
    }
    let w = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/withdraw"),
            json!({"version": 1}),
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/activities/{aid}/withdraw"),
            Some(&owner.token),
            json!({"version": w["version"]}),
        )
        .await;
    assert_eq!(r.body["code"], "invalid_transition");
    // A stale version is refused with the current state.
    let r = app
        .post(
            &format!("/api/v1/activities/{aid}/submit"),
            Some(&owner.token),
            json!({"version": 1}),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("version_conflict")));
    assert_eq!(r.body["current"]["version"], w["version"]);
    // Pending edits bump the version, so a decision on the older text is refused.
    let p = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/submit"),
            json!({"version": w["version"]}),
        )
        .await;
    let seen = p["version"].clone();
    let e = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&owner.token),
            json!({"version": seen, "description": "内容を更新しました。"}),
        )
        .await;
    assert_eq!(e.body["status"], "pending");
    let r = app
        .post(
            &format!("/api/v1/moderation/activities/{aid}/approve"),
            Some(&moderator.token),
            json!({"version": seen}),
        )
        .await;
    assert_eq!(r.body["code"], "version_conflict");
    // Only drafts are deleted.
    let r = app
        .call(
            actix_web::http::Method::DELETE,
            &format!("/api/v1/activities/{aid}?version={}", e.body["version"]),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(r.body["code"], "invalid_transition");
    let d2 = app.draft(&owner, &campaign, "消す下書き").await;
    let r = app
        .call(
            actix_web::http::Method::DELETE,
            &format!("/api/v1/activities/{}?version=1", id(&d2)),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        app.get(&format!("/api/v1/activities/{}", id(&d2)), Some(&owner.token))
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn others_cannot_read_or_act_on_an_activity() {
    let World {
        app,
        campaign,
        org: owner,
        ind: stranger,
        ..
    } = world().await;
    let d = app.draft(&owner, &campaign, "他人は見られない").await;
    let aid = id(&d);
    assert_eq!(
        app.get(&format!("/api/v1/activities/{aid}"), Some(&stranger.token))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/activities/{aid}/history"), Some(&stranger.token))
            .await
            .status,
        404
    );
    let r = app
        .patch(
            &format!("/api/v1/activities/{aid}"),
            Some(&stranger.token),
            json!({"version": 1, "title": "乗っ取り"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .post(
            &format!("/api/v1/activities/{aid}/submit"),
            Some(&stranger.token),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(r.status, 404);
    let list = app.get("/api/v1/activities", Some(&stranger.token)).await;
    assert_eq!(list.body["items"], json!([]));
    let mine = app.get("/api/v1/activities?status=draft", Some(&owner.token)).await;
    assert_eq!(mine.body["items"][0]["title"], "他人は見られない");
}

#[actix_web::test]
async fn activity_validation_and_japanese_round_trip() {
    let World {
        app,
        campaign,
        ind: owner,
        ..
    } = world().await;
    let r = app
        .post(
            "/api/v1/activities",
            Some(&owner.token),
            json!({
                "campaign": campaign, "categories": [], "title": "あ".repeat(81),
                "description": "説明\u{0007}", "starts_on": "2026-11-10", "ends_on": "2026-11-01", "url": "ftp://x.jp"
            }),
        )
        .await;
    assert_eq!(r.status, 400);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["title", "description", "categories", "url", "ends_on"]);
    let text = "ﾃﾚﾜｰｸ　と テレワーク 🏠\n二行目の説明（全角括弧）";
    let r = app
        .post("/api/v1/activities", Some(&owner.token), json!({"campaign": campaign, "categories": ["learn_discuss", "try_practice"], "title": "あ".repeat(80), "description": text}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["description"], text);
    assert_eq!(r.body["categories"], json!(["try_practice", "learn_discuss"]));
    let r = app
        .post(
            "/api/v1/activities",
            Some(&owner.token),
            json!({"campaign": "nope", "categories": ["try_practice"], "title": "t", "description": "d"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "campaign");
}
