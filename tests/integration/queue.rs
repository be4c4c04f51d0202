//! The registration window, concurrent decisions and the moderation queue.

use crate::common::{world, TestApp, World};
use crate::workflow::id;
use serde_json::{json, Value};

#[actix_web::test]
async fn submissions_outside_the_window_are_refused() {
    let World {
        app,
        admin,
        campaign,
        org: owner,
        ..
    } = world().await;
    let d = app.draft(&owner, &campaign, "締切後の登録").await;
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let r = app
        .patch(&format!("/api/v1/admin/campaigns/{campaign}"), Some(&admin.token), json!({"version": 1, "registration_opens_at": (past - chrono::Duration::days(10)).to_rfc3339(), "registration_closes_at": past.to_rfc3339()}))
        .await;
    assert_eq!(r.body["registration_open"], false);
    let r = app
        .post(
            &format!("/api/v1/activities/{}/submit", id(&d)),
            Some(&owner.token),
            json!({"version": 1}),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (422, Some("registration_closed")));
    let again = app
        .get(&format!("/api/v1/activities/{}", id(&d)), Some(&owner.token))
        .await;
    assert_eq!(again.body["status"], "draft");
}

/// Many moderators approve the same version at once: exactly one wins, one event is written.
#[actix_web::test]
async fn concurrent_approvals_have_exactly_one_winner() {
    let World {
        app,
        admin,
        campaign,
        org: owner,
        ..
    } = world().await;
    let mut moderators = Vec::new();
    for _ in 0..4 {
        moderators.push(app.staff(&admin, "moderator").await);
    }
    let d = app.draft(&owner, &campaign, "同時承認テスト").await;
    let aid = id(&d);
    let p = app
        .act(
            &owner,
            &format!("/api/v1/activities/{aid}/submit"),
            json!({"version": 1}),
        )
        .await;
    let path = format!("/api/v1/moderation/activities/{aid}/approve");
    let calls = (0..12).map(|i| {
        let m = &moderators[i % moderators.len()];
        app.post(&path, Some(&m.token), json!({"version": p["version"]}))
    });
    let results = futures_util::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let conflicts = results.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (ok, conflicts),
        (1, 11),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let h = app
        .get(&format!("/api/v1/activities/{aid}/history"), Some(&admin.token))
        .await;
    let approvals = h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approve")
        .count();
    assert_eq!(approvals, 1);
}

#[actix_web::test]
async fn queue_filters_and_stats() {
    let World {
        app,
        campaign,
        org,
        ind,
        moderator,
        ..
    } = world().await;
    for (who, title) in [(&org, "組織の活動"), (&ind, "個人の活動")] {
        let d = app.draft(who, &campaign, title).await;
        app.act(
            who,
            &format!("/api/v1/activities/{}/submit", id(&d)),
            json!({"version": 1}),
        )
        .await;
    }
    let q = app
        .get("/api/v1/moderation/queue?kind=individual", Some(&moderator.token))
        .await;
    assert_eq!(q.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(q.body["items"][0]["activity"]["title"], "個人の活動");
    let q = app
        .get(
            &format!("/api/v1/moderation/queue?campaign={campaign}&category=try_practice&limit=1"),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(q.body["items"][0]["activity"]["title"], "組織の活動");
    assert!(q.body["next_cursor"].is_string());
    assert_eq!(
        app.get("/api/v1/moderation/queue?category=bad", Some(&moderator.token))
            .await
            .status,
        400
    );
    let first = q.body["items"][0]["activity"].clone();
    app.act(
        &moderator,
        &format!("/api/v1/moderation/activities/{}/approve", id(&first)),
        json!({"version": first["version"]}),
    )
    .await;
    let s = app.get("/api/v1/moderation/stats", Some(&moderator.token)).await;
    assert_eq!(s.body["queue_length"], 1);
    assert_eq!(s.body["decisions_per_day"][0]["total"], 1);
    assert!(s.body["median_wait_seconds"].is_i64());
    let reasons = app.get("/api/v1/moderation/reasons", Some(&moderator.token)).await;
    assert_eq!(reasons.body["items"].as_array().unwrap().len(), 5);
}

/// The place in the queue shown to owners follows every way in and out of the queue:
/// submission, approval, rejection, withdrawal, an edit while pending, resubmission.
#[actix_web::test]
async fn queue_positions_follow_the_queue() {
    let World {
        app,
        campaign,
        org,
        ind,
        moderator,
        ..
    } = world().await;
    let mut items = Vec::new();
    for i in 0..6 {
        let who = if i % 2 == 0 { &org } else { &ind };
        let d = app.draft(who, &campaign, &format!("順番待ち {i}")).await;
        let s = app
            .act(
                who,
                &format!("/api/v1/activities/{}/submit", id(&d)),
                json!({"version": 1}),
            )
            .await;
        assert_eq!(s["queue"]["position"], i + 1, "submission {i}");
        items.push((who, id(&d)));
    }
    // Positions as each owner sees them now, by item (None: not queued).
    async fn positions(app: &TestApp, items: &[(&crate::common::User, String)]) -> Vec<Option<i64>> {
        let mut out = Vec::new();
        for (who, aid) in items {
            let r = app.get(&format!("/api/v1/activities/{aid}"), Some(&who.token)).await;
            assert_eq!(r.status, 200, "{}", r.body);
            out.push(r.body["queue"]["position"].as_i64());
        }
        out
    }
    let version = |v: &Value| v["version"].clone();
    let get = |i: usize| {
        let (who, aid) = &items[i];
        let app = &app;
        async move {
            app.get(&format!("/api/v1/activities/{aid}"), Some(&who.token))
                .await
                .body
        }
    };

    // The first is approved, the third rejected, the fifth withdrawn by its owner.
    let a0 = get(0).await;
    app.act(
        &moderator,
        &format!("/api/v1/moderation/activities/{}/approve", items[0].1),
        json!({"version": version(&a0)}),
    )
    .await;
    let a2 = get(2).await;
    app.act(
        &moderator,
        &format!("/api/v1/moderation/activities/{}/reject", items[2].1),
        json!({"version": version(&a2), "reason_code": "incomplete", "reason": "日程を追記してください。"}),
    )
    .await;
    let a4 = get(4).await;
    app.act(
        items[4].0,
        &format!("/api/v1/activities/{}/withdraw", items[4].1),
        json!({"version": version(&a4)}),
    )
    .await;
    assert_eq!(
        positions(&app, &items).await,
        [None, Some(1), None, Some(2), None, Some(3)]
    );

    // An edit while pending keeps the place; a resubmission goes to the end.
    let a1 = get(1).await;
    let edited = app
        .patch(
            &format!("/api/v1/activities/{}", items[1].1),
            Some(&items[1].0.token),
            json!({"version": version(&a1), "title": "順番待ち 1（改）"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let a2 = get(2).await;
    let again = app
        .act(
            items[2].0,
            &format!("/api/v1/activities/{}/submit", items[2].1),
            json!({"version": version(&a2)}),
        )
        .await;
    assert_eq!(again["queue"]["position"], 4);
    assert_eq!(
        positions(&app, &items).await,
        [None, Some(1), Some(4), Some(2), None, Some(3)]
    );
    let s = app.get("/api/v1/moderation/stats", Some(&moderator.token)).await;
    assert_eq!(s.body["queue_length"], 4);
}
