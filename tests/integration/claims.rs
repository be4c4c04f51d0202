//! Claims on queue items: one holder at a time under concurrency, expiry and takeover, the
//! per-moderator cap, decisions on another's claim, the queue's view and filter.

use crate::common::{world, TestApp, User};
use futures_util::future::join_all;
use serde_json::{json, Value};

pub(crate) async fn pending(app: &TestApp, owner: &User, campaign: &str, title: &str) -> Value {
    let d = app.draft(owner, campaign, title).await;
    let id = d["id"].as_str().unwrap().to_owned();
    app.act(
        owner,
        &format!("/api/v1/activities/{id}/submit"),
        json!({"version": d["version"]}),
    )
    .await
}

fn claim_path(id: &Value) -> String {
    format!("/api/v1/moderation/activities/{}/claim", id.as_str().unwrap())
}

fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(sql).get_result::<N>(&mut *conn).unwrap().n
}

#[actix_web::test]
async fn one_of_many_concurrent_claims_wins_and_an_expired_claim_is_taken_over() {
    let w = world().await;
    let item = pending(&w.app, &w.org, &w.campaign, "同時に開く").await;
    let mut mods = Vec::new();
    for _ in 0..8 {
        mods.push(w.app.staff(&w.admin, "moderator").await);
    }
    let path = claim_path(&item["id"]);
    let answers = join_all(mods.iter().map(|m| w.app.post(&path, Some(&m.token), json!({})))).await;
    let won: Vec<usize> = (0..8).filter(|i| answers[*i].status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (409, Some("claimed_by_other")),
            "{}",
            a.body
        );
        assert!(a.body["current"]["claim_expires_at"].is_string());
    }
    let holder = &mods[won[0]];
    assert_eq!(count(&w.app, "SELECT COUNT(*) AS n FROM claims"), 1);
    // Claiming again renews; the activity's version never moves.
    let again = w.app.post(&path, Some(&holder.token), json!({})).await;
    assert_eq!(again.status, 200);
    let view = w
        .app
        .get(
            &format!("/api/v1/moderation/activities/{}", item["id"].as_str().unwrap()),
            Some(&holder.token),
        )
        .await;
    assert_eq!(view.body["version"], item["version"]);
    // Expired: anyone may take it.
    {
        use diesel::RunQueryDsl;
        let mut conn = w.app.pool.get().unwrap();
        let past = telework_registry::db::now() - chrono::Duration::seconds(1);
        diesel::sql_query(format!(
            "UPDATE claims SET expires_at = '{}'",
            past.format("%Y-%m-%d %H:%M:%S%.6f")
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    let other = &mods[(won[0] + 1) % 8];
    let took = w.app.post(&path, Some(&other.token), json!({})).await;
    assert_eq!(took.status, 200, "{}", took.body);
    assert_eq!(took.body["claimed_by_id"], json!(other.id));
}

#[actix_web::test]
async fn the_cap_holds_under_concurrent_claims_by_one_moderator() {
    let app = TestApp::with(|c| c.max_claims = 3).await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let owner = app.registrant("organization").await;
    let m = app.staff(&admin, "moderator").await;
    let mut items = Vec::new();
    for i in 0..10 {
        items.push(pending(&app, &owner, &campaign, &format!("上限 {i}")).await);
    }
    let answers = join_all(items.iter().map(|it| {
        let path = claim_path(&it["id"]);
        let token = m.token.clone();
        let app = &app;
        async move { app.post(&path, Some(&token), json!({})).await }
    }))
    .await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(ok, 3, "{:?}", answers.iter().map(|a| &a.body).collect::<Vec<_>>());
    assert!(answers
        .iter()
        .filter(|a| a.status != 200)
        .all(|a| a.body["code"] == "claim_limit"));
    // Releasing one frees a place.
    let held = items
        .iter()
        .zip(&answers)
        .find(|(_, a)| a.status == 200)
        .map(|(it, _)| it["id"].as_str().unwrap().to_owned())
        .unwrap();
    let r = app
        .post(
            &format!("/api/v1/moderation/activities/{held}/release"),
            Some(&m.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204);
    let again = app
        .post(
            &format!("/api/v1/moderation/activities/{held}/release"),
            Some(&m.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 404);
    let free = items.iter().zip(&answers).find(|(_, a)| a.status != 200).unwrap().0;
    assert_eq!(
        app.post(&claim_path(&free["id"]), Some(&m.token), json!({}))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_decision_on_another_moderators_claim_is_refused_unless_an_admin_overrides() {
    let w = world().await;
    let other = w.app.staff(&w.admin, "moderator").await;
    let a = pending(&w.app, &w.org, &w.campaign, "他の人が見ている").await;
    let b = pending(&w.app, &w.org, &w.campaign, "管理者が決める").await;
    for item in [&a, &b] {
        assert_eq!(
            w.app
                .post(&claim_path(&item["id"]), Some(&other.token), json!({}))
                .await
                .status,
            200
        );
    }
    let approve = |item: &Value| format!("/api/v1/moderation/activities/{}/approve", item["id"].as_str().unwrap());
    let r = w
        .app
        .post(&approve(&a), Some(&w.moderator.token), json!({"version": a["version"]}))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("claimed_by_other")),
        "{}",
        r.body
    );
    let holder_name = w.app.get("/api/v1/me", Some(&other.token)).await.body["display_name"].clone();
    assert_eq!(r.body["current"]["claimed_by"], holder_name, "{}", r.body);
    let r = w
        .app
        .post(
            &approve(&a),
            Some(&w.moderator.token),
            json!({"version": a["version"], "override_claim": true}),
        )
        .await;
    assert_eq!(r.status, 409, "only admins override");
    // An override whose decision fails leaves no trace in the audit log (counted below).
    let stale = b["version"].as_i64().unwrap() + 7;
    let r = w
        .app
        .post(
            &approve(&b),
            Some(&w.admin.token),
            json!({"version": stale, "override_claim": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("version_conflict")),
        "{}",
        r.body
    );
    let r = w
        .app
        .post(
            &approve(&b),
            Some(&w.admin.token),
            json!({"version": b["version"], "override_claim": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The holder decides their own claim; deciding ends the claim.
    let r = w
        .app
        .post(&approve(&a), Some(&other.token), json!({"version": a["version"]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(count(&w.app, "SELECT COUNT(*) AS n FROM claims"), 0);
    let audit = w
        .app
        .get("/api/v1/admin/audit?action=claim_override", Some(&w.admin.token))
        .await;
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["activity_id"], b["id"]);
    // Staff see claims in an activity's history; the owner does not.
    let history_path = format!("/api/v1/activities/{}/history", a["id"].as_str().unwrap());
    let actions = |h: &Value| -> Vec<String> {
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(actions(&w.app.get(&history_path, Some(&w.moderator.token)).await.body).contains(&"claim".to_owned()));
    let owners = actions(&w.app.get(&history_path, Some(&w.org.token)).await.body);
    assert!(!owners.iter().any(|a| a.starts_with("claim")), "{owners:?}");
    assert!(owners.contains(&"approve".to_owned()));
}

#[actix_web::test]
async fn the_queue_shows_claims_and_filters_by_them() {
    let w = world().await;
    let other = w.app.staff(&w.admin, "moderator").await;
    let mine = pending(&w.app, &w.org, &w.campaign, "自分の").await;
    let theirs = pending(&w.app, &w.org, &w.campaign, "他人の").await;
    let free = pending(&w.app, &w.org, &w.campaign, "誰のでもない").await;
    assert_eq!(
        w.app
            .post(&claim_path(&mine["id"]), Some(&w.moderator.token), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        w.app
            .post(&claim_path(&theirs["id"]), Some(&other.token), json!({}))
            .await
            .status,
        200
    );
    let ids = |q: &str| {
        let app = &w.app;
        let token = w.moderator.token.clone();
        let path = format!("/api/v1/moderation/queue{q}");
        async move {
            let r = app.get(&path, Some(&token)).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["activity"]["id"].clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("?claimed=mine").await, [mine["id"].clone()]);
    assert_eq!(ids("?claimed=others").await, [theirs["id"].clone()]);
    assert_eq!(ids("?claimed=none").await, [free["id"].clone()]);
    assert_eq!(ids("").await.len(), 3);
    let all = w.app.get("/api/v1/moderation/queue", Some(&w.moderator.token)).await;
    let by_id = |id: &Value| {
        all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| &i["activity"]["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(by_id(&theirs["id"])["claimed_by"].is_string());
    assert!(by_id(&theirs["id"])["claim_expires_at"].is_string());
    assert!(by_id(&free["id"])["claimed_by"].is_null());
    let bad = w
        .app
        .get("/api/v1/moderation/queue?claimed=maybe", Some(&w.moderator.token))
        .await;
    assert_eq!(bad.status, 400);
    // A draft is not in the queue, so it cannot be claimed.
    let d = w.app.draft(&w.org, &w.campaign, "下書き").await;
    let r = w
        .app
        .post(&claim_path(&d["id"]), Some(&w.moderator.token), json!({}))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("not_queued")));
}
