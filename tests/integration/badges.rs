//! Participation badges: an Open Badges 2.0 hosted assertion and an image per approved
//! activity, under an id that is not the activity's, withdrawn (410) with the activity.

use crate::common::world;
use serde_json::{json, Value};

fn has(v: &Value, fields: &[&str]) {
    for f in fields {
        assert!(v.get(*f).is_some_and(|x| !x.is_null()), "no {f} in {v}");
    }
}

#[actix_web::test]
async fn an_approved_activity_has_a_verifiable_badge_until_it_is_withdrawn() {
    let w = world().await;
    let a = w
        .app
        .approved(&w.org, &w.moderator, &w.campaign, "バッジのある活動")
        .await;
    let id = a["id"].as_str().unwrap();
    let path = format!("/api/v1/activities/{id}/badge");
    let mine = w.app.get(&path, Some(&w.org.token)).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let bid = mine.body["id"].as_str().unwrap().to_owned();
    assert_eq!(bid.len(), 32);
    assert!(
        !bid.contains(&id.replace('-', "")[..8]),
        "the badge id says nothing of the activity's"
    );
    assert_eq!(
        w.app.get(&path, Some(&w.org.token)).await.body["id"],
        bid.as_str(),
        "the same badge every time"
    );
    let html = mine.body["html"].as_str().unwrap();
    assert!(
        html.starts_with("<a href=\"") && html.contains(&format!("/api/v1/public/badges/{bid}.svg")),
        "{html}"
    );

    // The hosted assertion has every required field of Open Badges 2.0.
    let url = format!("/api/v1/public/badges/{bid}");
    let r = w.app.get(&url, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    has(
        b,
        &[
            "@context",
            "type",
            "id",
            "recipient",
            "badge",
            "verification",
            "issuedOn",
        ],
    );
    assert_eq!(b["@context"], "https://w3id.org/openbadges/v2");
    assert_eq!(b["type"], "Assertion");
    assert_eq!(b["id"], mine.body["assertion_url"]);
    assert!(b["id"].as_str().unwrap().ends_with(&url), "hosted at its own id");
    assert_eq!(b["verification"]["type"], "hosted");
    has(&b["recipient"], &["type", "hashed", "identity"]);
    assert_eq!(b["recipient"]["identity"], a["organizer_name"]);
    assert_eq!(b["issuedOn"], a["approved_at"]);
    has(
        &b["badge"],
        &["type", "id", "name", "description", "image", "criteria", "issuer"],
    );
    assert_eq!(b["badge"]["type"], "BadgeClass");
    has(&b["badge"]["issuer"], &["type", "id", "name", "url", "email"]);
    let text = r.raw.iter().map(|&c| c as char).collect::<String>();
    for secret in [w.org.email.as_str(), w.org.id.as_str(), "03-1234-5678"] {
        assert!(!text.contains(secret), "the badge shows {secret}");
    }
    let img = w.app.get(&format!("{url}.svg"), None).await;
    assert_eq!((img.status, img.header("content-type")), (200, Some("image/svg+xml")));
    let svg = String::from_utf8(img.raw.to_vec()).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("テレワーク月間") && svg.contains("2026 参加"),
        "{svg}"
    );
    assert!(svg.contains(a["organizer_name"].as_str().unwrap()));

    // Unguessable: neither the activity id nor another id finds it.
    for other in [id.to_owned(), id.replace('-', ""), "0".repeat(32), badge_like()] {
        let r = w.app.get(&format!("/api/v1/public/badges/{other}"), None).await;
        assert_eq!(r.status, 404, "{other}");
    }

    // Withdrawn: the badge and its image are gone (410), the owner gets none.
    let current = w
        .app
        .get(&format!("/api/v1/activities/{id}"), Some(&w.org.token))
        .await
        .body;
    w.app
        .act(
            &w.org,
            &format!("/api/v1/activities/{id}/withdraw"),
            json!({"version": current["version"]}),
        )
        .await;
    for p in [url.clone(), format!("{url}.svg")] {
        let r = w.app.get(&p, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (410, Some("badge_withdrawn")),
            "{p}"
        );
    }
    let none = w.app.get(&path, Some(&w.org.token)).await;
    assert_eq!((none.status, none.body["code"].as_str()), (409, Some("not_approved")));
}

fn badge_like() -> String {
    "0123456789abcdef0123456789abcdef".to_owned()
}

#[actix_web::test]
async fn unpublished_and_unapproved_activities_have_no_public_badge() {
    let w = world().await;
    let a = w
        .app
        .approved(&w.org, &w.moderator, &w.campaign, "非公開になる活動")
        .await;
    let id = a["id"].as_str().unwrap();
    let bid = w
        .app
        .get(&format!("/api/v1/activities/{id}/badge"), Some(&w.org.token))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .post(
            &format!("/api/v1/moderation/activities/{id}/unpublish"),
            Some(&w.moderator.token),
            json!({"version": a["version"], "reason_code": "other", "reason": "確認のため"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        w.app.get(&format!("/api/v1/public/badges/{bid}"), None).await.status,
        410
    );
    // A draft has none; another owner's activity is not found.
    let d = w.app.draft(&w.org, &w.campaign, "下書き").await;
    let r = w
        .app
        .get(
            &format!("/api/v1/activities/{}/badge", d["id"].as_str().unwrap()),
            Some(&w.org.token),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("not_approved")));
    let b = w.app.approved(&w.org, &w.moderator, &w.campaign, "他人の活動").await;
    let r = w
        .app
        .get(
            &format!("/api/v1/activities/{}/badge", b["id"].as_str().unwrap()),
            Some(&w.ind.token),
        )
        .await;
    assert_eq!(r.status, 404);
}
