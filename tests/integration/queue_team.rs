//! The queue for a team: moderators' notes (staff only), the count badge, the newest-first
//! order and the prefecture and revision filters.

use crate::common::{world, TestApp, User};
use serde_json::{json, Value};

async fn pending_in(app: &TestApp, owner: &User, campaign: &str, title: &str, prefecture: &str) -> Value {
    let r = app
        .post(
            "/api/v1/activities",
            Some(&owner.token),
            json!({"campaign": campaign, "categories": ["try_practice"], "title": title,
                   "description": "説明", "prefecture": prefecture}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    app.act(
        owner,
        &format!("/api/v1/activities/{id}/submit"),
        json!({"version": r.body["version"]}),
    )
    .await
}

#[actix_web::test]
async fn notes_are_for_staff_only() {
    let w = world().await;
    let a = pending_in(&w.app, &w.org, &w.campaign, "メモ付き", "13").await;
    let id = a["id"].as_str().unwrap();
    let path = format!("/api/v1/moderation/activities/{id}/notes");
    let r = w
        .app
        .post(
            &path,
            Some(&w.moderator.token),
            json!({"body": "前年も登録あり。確認済み。"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["author_id"], json!(w.moderator.id));
    let second = w.app.staff(&w.admin, "moderator").await;
    w.app
        .post(&path, Some(&second.token), json!({"body": "電話で確認します"}))
        .await;
    let list = w.app.get(&path, Some(&second.token)).await;
    let bodies: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["前年も登録あり。確認済み。", "電話で確認します"]);
    assert_eq!(
        w.app
            .post(&path, Some(&w.moderator.token), json!({"body": "  "}))
            .await
            .status,
        400
    );
    let missing = "/api/v1/moderation/activities/0192f1a0-0000-7000-8000-000000000001/notes";
    assert_eq!(w.app.get(missing, Some(&w.moderator.token)).await.status, 404);
    // In the staff history, not in the owner's; nowhere public.
    let history = format!("/api/v1/activities/{id}/history");
    let staff = w.app.get(&history, Some(&w.moderator.token)).await;
    assert!(String::from_utf8_lossy(&staff.raw).contains("電話で確認します"));
    let owner = w.app.get(&history, Some(&w.org.token)).await;
    assert_eq!(owner.status, 200);
    assert!(!String::from_utf8_lossy(&owner.raw).contains("電話"), "{}", owner.body);
    assert_eq!(w.app.get(&path, Some(&w.org.token)).await.status, 403);
}

#[actix_web::test]
async fn the_queue_counts_sorts_and_filters() {
    let w = world().await;
    let count = || w.app.get("/api/v1/moderation/queue/count", Some(&w.moderator.token));
    assert_eq!(count().await.body["count"], 0);
    let first = pending_in(&w.app, &w.org, &w.campaign, "東京の一件目", "13").await;
    let second = pending_in(&w.app, &w.org, &w.campaign, "大阪の二件目", "27").await;
    let third = pending_in(&w.app, &w.org, &w.campaign, "東京の三件目", "13").await;
    assert_eq!(count().await.body["count"], 3);
    let ids = |q: &'static str| {
        let app = &w.app;
        let token = w.moderator.token.clone();
        async move {
            let r = app.get(&format!("/api/v1/moderation/queue{q}"), Some(&token)).await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["activity"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    assert_eq!(ids("").await, [id(&first), id(&second), id(&third)]);
    assert_eq!(ids("?sort=newest").await, [id(&third), id(&second), id(&first)]);
    assert_eq!(ids("?sort=newest&limit=2").await, [id(&third), id(&second)]);
    let page = w
        .app
        .get("/api/v1/moderation/queue?sort=newest&limit=2", Some(&w.moderator.token))
        .await;
    let rest = w
        .app
        .get(
            &format!(
                "/api/v1/moderation/queue?sort=newest&limit=2&cursor={}",
                page.body["next_cursor"].as_str().unwrap()
            ),
            Some(&w.moderator.token),
        )
        .await;
    assert_eq!(rest.body["items"][0]["activity"]["id"], first["id"]);
    assert_eq!(ids("?prefecture=13").await, [id(&first), id(&third)]);
    assert!(ids("?has_revision=true").await.is_empty());
    assert_eq!(ids("?has_revision=false").await.len(), 3);
    for bad in ["?sort=campaignish", "?prefecture=48", "?has_revision=yes"] {
        let r = w
            .app
            .get(&format!("/api/v1/moderation/queue{bad}"), Some(&w.moderator.token))
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    // A revision of an approved activity is found by has_revision.
    let a = w.app.approved(&w.ind, &w.moderator, &w.campaign, "承認済み").await;
    let edit = w
        .app
        .patch(
            &format!("/api/v1/activities/{}", a["id"].as_str().unwrap()),
            Some(&w.ind.token),
            json!({"version": a["version"], "title": "改訂"}),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    assert_eq!(ids("?has_revision=true").await, [id(&a)]);
    assert_eq!(count().await.body["count"], 4);
}
