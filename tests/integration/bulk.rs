//! Bulk decisions: per-item results in order, each item decided on its own, and the
//! idempotency key: a replay decides nothing twice, another body is refused, a concurrent
//! duplicate waits its turn.

use crate::common::{settle, world, TestApp, User, World};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use futures_util::future::join_all;
use serde_json::{json, Value};

async fn pending_items(app: &TestApp, owner: &User, campaign: &str, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let d = app.draft(owner, campaign, &format!("まとめて審査 {i}")).await;
        let id = d["id"].as_str().unwrap().to_owned();
        out.push(
            app.act(
                owner,
                &format!("/api/v1/activities/{id}/submit"),
                json!({"version": d["version"]}),
            )
            .await,
        );
    }
    out
}

async fn bulk(w: &World, who: &User, key: Option<&str>, body: &Value) -> crate::common::Resp {
    let mut req = TestRequest::default()
        .method(Method::POST)
        .uri("/api/v1/moderation/bulk")
        .insert_header(("Authorization", format!("Bearer {}", who.token)))
        .set_json(body);
    if let Some(k) = key {
        req = req.insert_header(("Idempotency-Key", k));
    }
    w.app.send_raw(req).await
}

fn approvals(app: &TestApp) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'approve'")
        .get_result::<N>(&mut *conn)
        .unwrap()
        .n
}

#[actix_web::test]
async fn three_hundred_items_with_stale_and_unknown_ones_and_a_replay() {
    let w = world().await;
    let items = pending_items(&w.app, &w.org, &w.campaign, 295).await;
    let mut sent = Vec::new();
    for (i, it) in items.iter().enumerate() {
        // Every 15th item carries a stale version: 20 of them.
        let version = if i % 15 == 0 { json!(1) } else { it["version"].clone() };
        sent.push(json!({"id": it["id"], "version": version}));
    }
    let unknown: Vec<String> = (0..5)
        .map(|i| format!("0192f1a0-0000-7000-8000-00000000000{i}"))
        .collect();
    for (i, id) in unknown.iter().enumerate() {
        sent.insert(i * 50 + 7, json!({"id": id, "version": 2}));
    }
    assert_eq!(sent.len(), 300);
    let body = json!({"action": "approve", "items": sent});
    let r = bulk(&w, &w.moderator, Some("key-300"), &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("idempotent-replayed").is_none());
    assert_eq!(
        (r.body["decided"].as_u64(), r.body["failed"].as_u64()),
        (Some(275), Some(25))
    );
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 300);
    for (res, item) in results.iter().zip(&sent) {
        assert_eq!(res["id"], item["id"], "results keep the order sent");
        let expected = if unknown.iter().any(|u| item["id"] == json!(u)) {
            404
        } else if item["version"] == json!(1) {
            409
        } else {
            200
        };
        assert_eq!(res["status"], expected, "{res}");
        match expected {
            200 => assert_eq!(res["activity"]["status"], "approved"),
            409 => assert_eq!(res["problem"]["code"], "version_conflict"),
            _ => assert_eq!(res["problem"]["code"], "not_found"),
        }
    }
    assert_eq!(approvals(&w.app), 275);
    settle().await;
    let public = w.app.get("/api/v1/public/activities?limit=1", None).await;
    assert_eq!(public.body["total"], 275);

    // The same key and body: the stored answer, nothing decided again.
    let again = bulk(&w, &w.moderator, Some("key-300"), &body).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.raw, r.raw, "a replay answers byte for byte");
    assert_eq!(approvals(&w.app), 275);
    // The same key with another body is refused; another caller's key is its own.
    let other = json!({"action": "approve", "items": [sent[1].clone()]});
    let reused = bulk(&w, &w.moderator, Some("key-300"), &other).await;
    assert_eq!(
        (reused.status, reused.body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let second = w.app.staff(&w.admin, "moderator").await;
    let theirs = bulk(&w, &second, Some("key-300"), &other).await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert_eq!(theirs.body["results"][0]["status"], 409, "already approved");
}

#[actix_web::test]
async fn concurrent_duplicates_wait_for_the_first() {
    let w = world().await;
    let items = pending_items(&w.app, &w.org, &w.campaign, 60).await;
    let sent: Vec<Value> = items
        .iter()
        .map(|i| json!({"id": i["id"], "version": i["version"]}))
        .collect();
    let body =
        json!({"action": "reject", "items": sent, "reason_code": "incomplete", "reason": "日程を書いてください。"});
    let answers = join_all((0..6).map(|_| bulk(&w, &w.moderator, Some("same"), &body))).await;
    let ran: Vec<_> = answers
        .iter()
        .filter(|a| a.status == 200 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(
        ran.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(ran[0].body["decided"], 60);
    let waiting = answers.iter().filter(|a| a.status == 409).count();
    assert!(waiting >= 1, "no duplicate arrived while the first ran");
    for a in answers.iter().filter(|a| a.status == 409) {
        assert_eq!(a.body["code"], "idempotency_in_progress");
    }
    for a in answers.iter().filter(|a| a.header("idempotent-replayed").is_some()) {
        assert_eq!(a.raw, ran[0].raw);
    }
    let rejected = w
        .app
        .get("/api/v1/activities?status=rejected&limit=100", Some(&w.org.token))
        .await;
    assert_eq!(rejected.body["items"].as_array().unwrap().len(), 60);
}

#[actix_web::test]
async fn bad_bulk_requests_change_nothing() {
    let w = world().await;
    let items = pending_items(&w.app, &w.org, &w.campaign, 1).await;
    let one = json!([{"id": items[0]["id"], "version": items[0]["version"]}]);
    let many: Vec<Value> = (0..501).map(|_| one[0].clone()).collect();
    for (key, body, code) in [
        (
            None,
            json!({"action": "approve", "items": one}),
            "idempotency_key_required",
        ),
        (
            Some("k1"),
            json!({"action": "approve", "items": []}),
            "validation_failed",
        ),
        (
            Some("k2"),
            json!({"action": "approve", "items": many}),
            "validation_failed",
        ),
        (
            Some("k3"),
            json!({"action": "publish", "items": one}),
            "validation_failed",
        ),
        (
            Some("k4"),
            json!({"action": "reject", "items": one}),
            "validation_failed",
        ),
        (
            Some("k5"),
            json!({"action": "approve", "items": one, "reason": "x"}),
            "validation_failed",
        ),
        (
            Some("k6"),
            json!({"action": "approve", "items": one, "extra": 1}),
            "validation_failed",
        ),
    ] {
        let r = bulk(&w, &w.moderator, key, &body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some(code)),
            "{body}: {}",
            r.body
        );
    }
    let r = bulk(
        &w,
        &w.moderator,
        Some("ключ"),
        &json!({"action": "approve", "items": one}),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = bulk(&w, &w.org, Some("k7"), &json!({"action": "approve", "items": one})).await;
    assert_eq!(r.status, 403);
    assert_eq!(approvals(&w.app), 0);
    // A failed validation does not use up the key.
    let r = bulk(
        &w,
        &w.moderator,
        Some("k1"),
        &json!({"action": "approve", "items": one}),
    )
    .await;
    assert_eq!((r.status, r.body["decided"].as_u64()), (200, Some(1)), "{}", r.body);
}

#[actix_web::test]
async fn repeated_claimed_and_raced_items_each_get_their_own_answer() {
    let w = world().await;
    let items = pending_items(&w.app, &w.org, &w.campaign, 60).await;
    let item = |i: usize| json!({"id": items[i]["id"], "version": items[i]["version"]});
    // Item 1 is another moderator's to review.
    let other = w.app.staff(&w.admin, "moderator").await;
    let path = format!(
        "/api/v1/moderation/activities/{}/claim",
        items[1]["id"].as_str().unwrap()
    );
    assert_eq!(w.app.post(&path, Some(&other.token), json!({})).await.status, 200);
    // Item 0 twice, next to each other and far apart; items 20–59 raced by single decisions.
    let mut sent = vec![item(0), item(0), item(1)];
    sent.extend((2..60).map(item));
    sent.push(item(0));
    let body = json!({"action": "approve", "items": sent});
    let app = &w.app;
    let singles = (20..60).map(|i| {
        let path = format!(
            "/api/v1/moderation/activities/{}/approve",
            items[i]["id"].as_str().unwrap()
        );
        let token = other.token.clone();
        let version = items[i]["version"].clone();
        async move { app.post(&path, Some(&token), json!({"version": version})).await }
    });
    let (r, singles) =
        futures_util::future::join(bulk(&w, &w.moderator, Some("mixed"), &body), join_all(singles)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    let status = |k: usize| results[k]["status"].as_u64().unwrap();
    let code = |k: usize| results[k]["problem"]["code"].as_str().unwrap_or("").to_owned();
    // One of the three item-0 entries decides it (items are decided in parallel chunks, so
    // not always the first); the others find it decided.
    let zero = [0, 1, 61];
    let winners: Vec<usize> = zero.into_iter().filter(|&k| status(k) == 200).collect();
    assert_eq!(winners.len(), 1, "{:?}", zero.map(status));
    for k in zero.into_iter().filter(|&k| k != winners[0]) {
        assert_eq!((status(k), code(k)), (409, "version_conflict".to_owned()));
        assert_eq!(results[k]["problem"]["current"]["status"], "approved", "{}", results[k]);
    }
    assert_eq!((status(2), code(2)), (409, "claimed_by_other".to_owned()));
    for r in &results[3..21] {
        assert_eq!(r["status"], 200, "{r}");
    }
    // Of a bulk item and a single decision on the same activity, exactly one wins.
    for (j, single) in singles.iter().enumerate() {
        let k = 21 + j;
        let won = [status(k) == 200, single.status == 200];
        assert!(
            won[0] ^ won[1],
            "item {}: bulk {} single {}",
            20 + j,
            status(k),
            single.status
        );
        if won[1] {
            assert_eq!(code(k), "version_conflict", "{}", results[k]);
        } else {
            assert_eq!(single.status, 409, "{}", single.body);
        }
    }
    let decided = results.iter().filter(|x| x["status"] == 200).count();
    assert_eq!(r.body["decided"].as_u64(), Some(decided as u64));
    // One approval per activity: 59 of the 60 (item 1 stays claimed and pending).
    assert_eq!(approvals(&w.app), 59);
}
