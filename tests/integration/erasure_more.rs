//! Erasure beyond the account's own rows: an individual's name as its activities' organizer
//! and in the webhook events about them, and the bulk answers kept for replay.

use crate::claims::pending;
use crate::common::{Resp, TestApp, User, World, PASSWORD};
use crate::erasure::{assert_erased, audit_count, delete_me, occurrences};
use actix_web::test::TestRequest;
use serde_json::{json, Value};

/// An individual's name stands as its activities' organizer, and a bulk decision's answer,
/// kept for replay, shows its owner's contact data: erasure leaves neither.
#[actix_web::test]
async fn erasure_reaches_an_individuals_organizer_name_and_bulk_answers() {
    // A partner's webhook (a real receiver, never called here: no worker runs): the
    // approval's event carries the public view, organizer and all.
    let app = crate::webhooks::open_app().await;
    let admin = app.admin().await;
    let receiver = crate::hook_util::Receiver::start();
    crate::webhooks::subscribe(&app, &admin, &receiver.url, &["activity.approved"]).await;
    let w = World {
        campaign: app.open_campaign(&admin).await,
        org: app.registrant("organization").await,
        ind: app.registrant("individual").await,
        moderator: app.staff(&admin, "moderator").await,
        admin,
        app,
    };
    let u = w.app.registrant("individual").await;
    let name = "消去 花子";
    let r = w
        .app
        .patch("/api/v1/me", Some(&u.token), json!({"display_name": name}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let approved = w.app.approved(&u, &w.moderator, &w.campaign, "個人の公開活動").await;
    assert_eq!(approved["organizer_name"], name, "{approved}");
    let submitted = pending(&w.app, &u, &w.campaign, "個人の審査待ち").await;
    let pid = submitted["id"].as_str().unwrap().to_owned();
    let body = json!({"action": "approve", "items": [{"id": pid, "version": submitted["version"]}]});
    let r = bulk(&w, "erase-bulk-1", &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.raw.windows(u.email.len()).any(|s| s == u.email.as_bytes()),
        "{}",
        r.body
    );
    let draft = w.app.draft(&u, &w.campaign, "個人の下書き").await;
    assert!(!occurrences(&w, name).is_empty() && !occurrences(&w, &u.email).is_empty());
    assert!(
        occurrences(&w, name).iter().any(|(table, _, _)| table == "outbox"),
        "no webhook event holds the name"
    );
    let before = audit_count(&w);
    let r = delete_me(&w.app, &u, PASSWORD).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let ids = [
        approved["id"].as_str().unwrap().to_owned(),
        pid,
        draft["id"].as_str().unwrap().to_owned(),
    ];
    assert_erased(&w, &u, &[name], &ids, before).await;
}

/// Erasure forgets the bulk answers that show the erased address, and only those: not one
/// showing an address that contains it.
#[actix_web::test]
async fn erasure_keeps_the_bulk_answers_of_other_addresses() {
    let w = crate::common::world().await;
    let u = w.app.registrant("individual").await;
    let other = register(&w.app, &format!("x{}", u.email)).await;
    let mut sent = Vec::new();
    for (who, key) in [(&u, "erased-answer"), (&other, "kept-answer")] {
        let s = pending(&w.app, who, &w.campaign, "一括で承認").await;
        let id = s["id"].as_str().unwrap().to_owned();
        let body = json!({"action": "approve", "items": [{"id": id, "version": s["version"]}]});
        assert_eq!(bulk(&w, key, &body).await.status, 200);
        sent.push((key, body));
    }
    assert_eq!(delete_me(&w.app, &u, PASSWORD).await.status, 204);
    let replayed = |r: &Resp| r.header("idempotent-replayed") == Some("true");
    let again = bulk(&w, sent[0].0, &sent[0].1).await;
    assert!(!replayed(&again), "the erased owner's answer was kept: {}", again.body);
    let again = bulk(&w, sent[1].0, &sent[1].1).await;
    assert!(replayed(&again), "another address's answer was lost: {}", again.body);
}

/// A bulk decision of the world's moderator under `key`.
async fn bulk(w: &World, key: &str, body: &Value) -> Resp {
    let req = TestRequest::post()
        .uri("/api/v1/moderation/bulk")
        .insert_header(("Authorization", format!("Bearer {}", w.moderator.token)))
        .insert_header(("Idempotency-Key", key))
        .set_json(body);
    w.app.send(req).await
}

/// An individual registrant of `email`.
async fn register(app: &TestApp, email: &str) -> User {
    let body = json!({"email": email, "password": PASSWORD, "kind": "individual", "display_name": "別 人"});
    let r = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    User {
        id: r.body["account"]["id"].as_str().unwrap().into(),
        email: email.into(),
        token: r.body["access_token"].as_str().unwrap().into(),
        refresh: r.body["refresh_token"].as_str().unwrap().into(),
    }
}

/// An owner's step already under way when the erasure runs (a resubmit of a withdrawn
/// activity, read before): it must not leave a pending activity on an erased account.
#[actix_web::test]
async fn an_owners_step_under_way_cannot_outlive_the_erasure() {
    use telework_registry::domain::codes::{Kind, Role};
    use telework_registry::domain::workflow::Action;
    use telework_registry::service::workflow::{perform, Step};
    let w = crate::common::world().await;
    let u = w.app.registrant("individual").await;
    let s = pending(&w.app, &u, &w.campaign, "取り下げの後に再提出").await;
    let id = s["id"].as_str().unwrap().to_owned();
    w.app
        .act(
            &u,
            &format!("/api/v1/activities/{id}/withdraw"),
            json!({"version": s["version"]}),
        )
        .await;
    let mut conn = w.app.pool.get().unwrap();
    let read = telework_registry::db::activities::find(&mut conn, &id).unwrap();
    let version = read.0.version;
    assert_eq!(delete_me(&w.app, &u, PASSWORD).await.status, 204);
    let owner = telework_registry::domain::actor::Actor {
        id: u.id.clone(),
        role: Role::Registrant,
        kind: Some(Kind::Individual),
        display_name: "消去 前".into(),
        industry: None,
        email_verified: true,
    };
    let step = Step {
        action: Action::Submit,
        version,
        reason: None,
        edit: None,
    };
    let mailer = telework_registry::mail::Mailer::new(&w.app.config);
    assert!(
        perform(&mut conn, read, &owner, step, &mailer).is_err(),
        "the resubmit went through"
    );
    let now = telework_registry::db::activities::find(&mut conn, &id).unwrap();
    assert_eq!(now.0.status.as_str(), "withdrawn");
}

/// With the files transport, the `.eml` files of an erased account's mail go too, and only
/// those.
#[actix_web::test]
async fn erasure_removes_the_files_of_its_mail() {
    use telework_registry::config::mail::MailTransport;
    let dir = std::env::temp_dir().join(format!("erase-mail-{}", uuid::Uuid::new_v4().simple()));
    let folder = dir.clone();
    let app = TestApp::with(move |c| c.mail.transport = MailTransport::Files(folder)).await;
    let (u, other) = (app.registrant("individual").await, app.registrant("individual").await);
    for who in [&u, &other] {
        let r = app
            .post("/api/v1/auth/password-reset", None, json!({"email": who.email}))
            .await;
        assert_eq!(r.status, 202);
    }
    let worker = crate::hook_util::mail_worker(&app);
    crate::hook_util::round(&worker).await;
    let holding = |email: &str| {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|f| std::fs::read_to_string(f.path()).unwrap_or_default().contains(email))
            .count()
    };
    assert!(holding(&u.email) > 0 && holding(&other.email) > 0);
    let r = delete_me(&app, &u, PASSWORD).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(holding(&u.email), 0, "a file of the erased account's mail is left");
    assert!(holding(&other.email) > 0);
}
