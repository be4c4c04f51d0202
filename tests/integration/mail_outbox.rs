//! The outbox and what it carries, delivered to a real SMTP server: decision notices, the
//! moderator digest, retries while SMTP is down, dead mails and their retry by an admin.

use crate::common::{world, TestApp, User};
use crate::proxy::Proxy;
use crate::smtp::{outbox_to, smtp, unique_address, Mailroom};
use serde_json::{json, Value};
use std::time::Duration;
use telework_registry::db::now;
use telework_registry::domain::codes::OutboxChannel;
use telework_registry::mail::digest::{self, Settings};

/// A registrant with an address no other test uses.
async fn new_owner(app: &TestApp, tag: &str) -> User {
    let email = unique_address(tag);
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": crate::common::PASSWORD, "kind": "organization", "display_name": "株式会社メール", "industry": "G"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    User {
        id: r.body["account"]["id"].as_str().unwrap().into(),
        email,
        token: r.body["access_token"].as_str().unwrap().into(),
        refresh: r.body["refresh_token"].as_str().unwrap().into(),
    }
}

async fn pending(app: &TestApp, owner: &User, campaign: &str, title: &str) -> Value {
    let d = app.draft(owner, campaign, title).await;
    let id = d["id"].as_str().unwrap();
    app.act(
        owner,
        &format!("/api/v1/activities/{id}/submit"),
        json!({"version": d["version"]}),
    )
    .await
}

/// Approval and refusal notices reach the owner with the public link or the reason, and
/// never name the moderator.
#[actix_web::test]
async fn decision_mails_carry_the_outcome_and_the_reason() {
    let Some(smtp) = smtp("decision_mails_carry_the_outcome_and_the_reason") else {
        return;
    };
    let w = world().await;
    let (app, moderator) = (&w.app, &w.moderator);
    let mail = Mailroom::new(app, &smtp, &smtp.url);
    let owner = new_owner(app, "decisions").await;
    let a = pending(app, &owner, &w.campaign, "承認される活動").await;
    let b = pending(app, &owner, &w.campaign, "差し戻される活動").await;
    let a_id = a["id"].as_str().unwrap();
    let approved = app
        .act(
            moderator,
            &format!("/api/v1/moderation/activities/{a_id}/approve"),
            json!({"version": a["version"]}),
        )
        .await;
    let b_id = b["id"].as_str().unwrap();
    let reason = "開催日時と対象者を記入してください。";
    app.act(
        moderator,
        &format!("/api/v1/moderation/activities/{b_id}/reject"),
        json!({"version": b["version"], "reason_code": "incomplete", "reason": reason}),
    )
    .await;
    let unpublish = "掲載内容に誤りがあるため一時停止します。";
    app.act(
        moderator,
        &format!("/api/v1/moderation/activities/{a_id}/unpublish"),
        json!({"version": approved["version"], "reason_code": "other", "reason": unpublish}),
    )
    .await;

    let got = mail.deliver(&owner.email, 4).await;
    assert_eq!(got.len(), 4, "verification + three notices: {got:#?}");
    let find = |s: &str| {
        got.iter()
            .find(|m| m.subject.contains(s))
            .unwrap_or_else(|| panic!("no mail `{s}`"))
    };
    let ok = find("【承認】");
    let url = format!("{}/api/v1/public/activities/{a_id}", app.config.public_base_url);
    assert!(ok.body.contains(&url), "{}", ok.body);
    assert!(ok.subject.contains("承認される活動"));
    let no = find("【差し戻し】");
    assert!(
        no.body.contains("理由: 記載内容が不十分") && no.body.contains(reason),
        "{}",
        no.body
    );
    assert!(no.body.contains("Reason: Incomplete information"), "{}", no.body);
    let off = find("【公開停止】");
    assert!(
        off.body.contains("理由: その他") && off.body.contains(unpublish),
        "{}",
        off.body
    );
    for m in &got {
        assert!(!m.raw.contains(&moderator.email), "a mail names the moderator");
        assert!(!m.body.contains("moderator "), "a mail names the moderator: {}", m.body);
    }
    let ids: std::collections::HashSet<_> = got.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 4, "each mail has its own message id");
}

/// The digest goes once per interval, only when something arrived, to staff who want it,
/// with a reminder past the SLA.
#[actix_web::test]
async fn the_digest_comes_once_per_interval_and_only_with_news() {
    let Some(smtp) = smtp("the_digest_comes_once_per_interval_and_only_with_news") else {
        return;
    };
    let app = TestApp::new().await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let moderator_email = unique_address("digest-mod");
    let quiet_email = unique_address("digest-quiet");
    for email in [&moderator_email, &quiet_email] {
        let r = app
            .post(
                "/api/v1/admin/accounts",
                Some(&admin.token),
                json!({"email": email, "password": crate::common::PASSWORD, "role": "moderator", "display_name": "審査 担当"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let quiet = app.login(&quiet_email, crate::common::PASSWORD).await;
    let token = quiet.body["access_token"].as_str().unwrap().to_owned();
    let r = app
        .patch("/api/v1/me", Some(&token), json!({"notify_digest": false}))
        .await;
    assert_eq!((r.status, &r.body["notify_digest"]), (200, &json!(false)));

    let owner = new_owner(&app, "digest-owner").await;
    pending(&app, &owner, &campaign, "一件目").await;
    pending(&app, &owner, &campaign, "二件目").await;
    // The intervals of a real deployment are minutes and hours; the rule is the same.
    let settings = Settings {
        interval: Duration::from_millis(1000),
        sla: Duration::from_millis(1500),
    };
    let staff = |app: &TestApp| outbox_to(app, &moderator_email).len();
    let tick = || {
        let mut conn = app.pool.get().unwrap();
        digest::tick(&mut conn, &app_mailer(&app), &settings, now()).unwrap()
    };
    let pause = || actix_web::rt::time::sleep(Duration::from_millis(1050));
    assert!(
        tick() >= 2,
        "the first run reports the queue to the admin and the moderator"
    );
    assert_eq!(staff(&app), 1);
    assert_eq!(tick(), 0, "within the interval");
    pause().await;
    assert_eq!(tick(), 0, "nothing new since the last digest");
    assert_eq!(staff(&app), 1);
    pending(&app, &owner, &campaign, "三件目").await;
    assert_eq!(tick(), 0, "the interval restarts at every run");
    pause().await;
    assert!(tick() >= 2);
    assert_eq!(staff(&app), 2);
    assert!(
        outbox_to(&app, &quiet_email).is_empty(),
        "notify_digest=false still got a digest"
    );

    let mut got = mail.deliver(&moderator_email, 2).await;
    assert_eq!(got.len(), 2);
    got.sort_by(|a, b| a.message_id.cmp(&b.message_id));
    assert!(
        got[0].subject.contains("承認待ち 2件（新着 2件）"),
        "{}",
        got[0].subject
    );
    assert!(!got[0].subject.contains("要対応"), "{}", got[0].subject);
    assert!(
        got[1].subject.starts_with("【要対応】承認待ち 3件（新着 1件）"),
        "{}",
        got[1].subject
    );
    assert!(
        got[1].body.contains(&format!("テレワーク月間 2026 ({campaign}): 3件")),
        "{}",
        got[1].body
    );
    assert!(got[1].body.contains("2件の申請が目標の"), "{}", got[1].body);
}

fn app_mailer(app: &TestApp) -> telework_registry::mail::Mailer {
    telework_registry::mail::Mailer::new(&app.config)
}

/// SMTP goes away: attempts fail and back off; once it is back the mail is delivered once.
/// Out of attempts a mail is dead; an admin's retry delivers it (audited), except a mail
/// whose one-time link was erased when it died.
#[actix_web::test]
async fn retries_back_off_then_die_and_an_admin_revives_them() {
    let Some(smtp) = smtp("retries_back_off_then_die_and_an_admin_revives_them") else {
        return;
    };
    let w = world().await;
    let app = &w.app;
    let proxy = Proxy::start(smtp.addr());
    let mut app_config = app.config.mail.clone();
    app_config.max_attempts = 3;
    app_config.backoff_base = Duration::from_millis(200);
    let mail = Mailroom::with(app, &smtp, &format!("smtp://{}", proxy.addr), &app_config);
    let owner = new_owner(app, "outage").await;
    let p = pending(app, &owner, &w.campaign, "停止中の承認").await;
    let id = p["id"].as_str().unwrap();
    app.act(
        &w.moderator,
        &format!("/api/v1/moderation/activities/{id}/approve"),
        json!({"version": p["version"]}),
    )
    .await;

    proxy.cut();
    // Other tests' rows do not exist here, but this world's registrants' verification mails do.
    assert!(
        mail.round().await >= 2,
        "the verification mail and the notice are tried"
    );
    let rows = outbox_to(app, &owner.email);
    assert!(
        rows.iter().all(|r| r.state.as_str() == "pending" && r.attempts == 1),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.last_error.is_some()));
    // The first retry waits 100–200 ms (base 200 ms, jitter down to half), the second 200–400.
    let waits: Vec<i64> = rows
        .iter()
        .map(|r| (r.next_attempt_at - r.updated_at).num_milliseconds())
        .collect();
    assert!(waits.iter().all(|w| (99..=200).contains(w)), "backoff {waits:?} ms");
    actix_web::rt::time::sleep(Duration::from_millis(220)).await;
    assert!(mail.round().await >= 2, "due again after the backoff");
    proxy.restore();
    actix_web::rt::time::sleep(Duration::from_millis(420)).await;
    mail.flush().await;
    let got = crate::smtp::wait_for(&smtp.maildir, &owner.email, 2, Duration::from_secs(5));
    assert_eq!(got.len(), 2, "delivered once each after the outage");

    // A second owner's mail dies while SMTP stays down.
    let other = new_owner(app, "dead").await;
    let q = pending(app, &other, &w.campaign, "届かない通知").await;
    let qid = q["id"].as_str().unwrap();
    app.act(
        &w.moderator,
        &format!("/api/v1/moderation/activities/{qid}/reject"),
        json!({"version": q["version"], "reason_code": "duplicate", "reason": "重複しています。"}),
    )
    .await;
    proxy.cut();
    for wait in [220, 420, 0] {
        mail.flush().await;
        actix_web::rt::time::sleep(Duration::from_millis(wait)).await;
    }
    let rows = outbox_to(app, &other.email);
    assert!(
        rows.iter().all(|r| r.state.as_str() == "dead" && r.attempts == 3),
        "{rows:?}"
    );
    let r = app
        .get("/api/v1/admin/outbox?state=dead&limit=1", Some(&w.admin.token))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert!(r.body["next_cursor"].is_string(), "{}", r.body);
    assert!(r.body["items"][0].get("body").is_none(), "the admin list shows a body");

    let notice = rows.iter().find(|r| r.kind.as_str() == "activity_rejected").unwrap();
    let link = rows.iter().find(|r| r.kind.as_str() == "verify_email").unwrap();
    let retry = |id: &str| format!("/api/v1/admin/outbox/{id}/retry");
    let r = app.post(&retry(&link.id), Some(&w.admin.token), json!({})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("mail_erased")),
        "{}",
        r.body
    );
    proxy.restore();
    let r = app.post(&retry(&notice.id), Some(&w.admin.token), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["state"].as_str(), &r.body["attempts"]),
        (Some("pending"), &json!(0))
    );
    let r = app.post(&retry(&notice.id), Some(&w.admin.token), json!({})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("invalid_state")));
    mail.flush().await;
    let got = crate::smtp::wait_for(&smtp.maildir, &other.email, 1, Duration::from_secs(5));
    assert_eq!(got.len(), 1, "the retried notice arrived");
    assert!(got[0].body.contains("重複しています。"));
    let r = app
        .get("/api/v1/admin/audit?action=outbox_retry", Some(&w.admin.token))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.body);
    drop(proxy);
}

/// A worker that dies holding rows keeps them only until its lease ends; then another worker
/// claims them, and the first can no longer record an outcome for them.
#[actix_web::test]
async fn an_expired_lease_passes_the_row_to_another_worker() {
    use telework_registry::db::{self, outbox};
    let app = TestApp::new().await;
    new_owner(&app, "lease").await;
    let mut conn = app.pool.get().unwrap();
    let t0 = now();
    let lease = |t: chrono::NaiveDateTime| t + chrono::Duration::seconds(60);
    let claim = |conn: &mut db::Conn, owner: &'static str, at| {
        db::transaction(conn, move |c| {
            outbox::claim(c, owner, at, lease(at), 10, OutboxChannel::Mail)
        })
        .unwrap()
    };
    let first = claim(&mut conn, "worker-a", t0);
    assert_eq!(first.len(), 1);
    assert!(
        claim(&mut conn, "worker-b", t0 + chrono::Duration::seconds(30)).is_empty(),
        "claimed twice"
    );
    let second = claim(&mut conn, "worker-b", t0 + chrono::Duration::seconds(61));
    assert_eq!(second.len(), 1, "the lease ran out");
    assert_eq!((second[0].id.as_str(), second[0].attempts), (first[0].id.as_str(), 2));
    let id = first[0].id.clone();
    let a_sent = outbox::mark_sent(&mut conn, &id, "worker-a", false, now()).unwrap();
    assert!(!a_sent, "a worker recorded an outcome after losing its lease");
    assert!(outbox::mark_sent(&mut conn, &id, "worker-b", false, now()).unwrap());
    assert_eq!(outbox::find(&mut conn, &id).unwrap().state.as_str(), "sent");
}

/// A revision's approval and rejection reach the owner too, the rejection with its reason.
#[actix_web::test]
async fn revision_decisions_are_mailed() {
    let Some(smtp) = smtp("revision_decisions_are_mailed") else {
        return;
    };
    let w = world().await;
    let (app, moderator) = (&w.app, &w.moderator);
    let mail = Mailroom::new(app, &smtp, &smtp.url);
    let owner = new_owner(app, "revisions").await;
    let p = pending(app, &owner, &w.campaign, "改訂前の題").await;
    let id = p["id"].as_str().unwrap();
    let approve = format!("/api/v1/moderation/activities/{id}/approve");
    let a = app.act(moderator, &approve, json!({"version": p["version"]})).await;
    let path = format!("/api/v1/activities/{id}");
    let edit = |version: &Value, title: &str| {
        app.patch(&path, Some(&owner.token), json!({"version": version, "title": title}))
    };
    let r = edit(&a["version"], "改訂後の題").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = app
        .act(moderator, &approve, json!({"version": r.body["version"]}))
        .await;
    let r = edit(&a["version"], "却下される改訂").await;
    let reject = format!("/api/v1/moderation/activities/{id}/reject");
    let reason = "題名が活動内容と合っていません。";
    app.act(
        moderator,
        &reject,
        json!({"version": r.body["version"], "reason_code": "off_topic", "reason": reason}),
    )
    .await;
    let got = mail.deliver(&owner.email, 4).await;
    let find = |s: &str| {
        got.iter()
            .find(|m| m.subject.contains(s))
            .unwrap_or_else(|| panic!("no `{s}`: {got:#?}"))
    };
    let ok = find("【変更承認】改訂後の題");
    assert!(
        ok.body.contains(&format!("/api/v1/public/activities/{id}")),
        "{}",
        ok.body
    );
    let no = find("【変更差し戻し】改訂後の題");
    assert!(
        no.body.contains("テレワークに関係しない内容") && no.body.contains(reason),
        "{}",
        no.body
    );
}
