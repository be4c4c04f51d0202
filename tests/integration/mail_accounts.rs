//! Mail about accounts, delivered to a real SMTP server: verification at registration and
//! for a new address, and password reset.

use crate::common::{TestApp, PASSWORD};
use crate::smtp::{outbox_to, outbox_wait, smtp, unique_address, Mailroom};
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

async fn register(app: &TestApp, email: &str) -> Value {
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "kind": "individual", "display_name": "テレワーク 花子"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Registration → verification mail → submit refused → verify → submit allowed.
#[actix_web::test]
async fn registration_is_verified_by_mail_before_submitting() {
    let Some(smtp) = smtp("registration_is_verified_by_mail_before_submitting") else {
        return;
    };
    let app = TestApp::with(|c| c.mail.require_email_verification = true).await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let email = unique_address("verify");
    let reg = register(&app, &email).await;
    assert_eq!(reg["account"]["email_verified"], false);
    let token = reg["access_token"].as_str().unwrap().to_owned();
    let user = crate::common::User {
        id: reg["account"]["id"].as_str().unwrap().into(),
        email: email.clone(),
        token: token.clone(),
        refresh: String::new(),
    };
    let draft = app.draft(&user, &campaign, "確認前の申請").await;
    let id = draft["id"].as_str().unwrap();
    let submit = format!("/api/v1/activities/{id}/submit");
    let r = app
        .post(&submit, Some(&token), json!({"version": draft["version"]}))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("email_unverified")),
        "{}",
        r.body
    );

    let got = mail.deliver(&email, 1).await;
    assert_eq!(got.len(), 1, "one verification mail");
    let m = &got[0];
    assert!(m.subject.contains("メールアドレスの確認"), "{}", m.subject);
    assert!(m.body.contains("テレワーク 花子 様"), "{}", m.body);
    let link_start = format!("{}/verify-email#token=", app.config.mail.frontend_base_url);
    assert!(m.body.contains(&link_start), "{}", m.body);
    assert!(m.raw.contains("Subject: =?utf-8?"), "subject not RFC 2047-encoded");

    let r = app
        .post("/api/v1/auth/verify-email", None, json!({"token": m.token()}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["email_verified"], true);
    let r = app
        .post(&submit, Some(&token), json!({"version": draft["version"]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The link worked once.
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({"token": m.token()}))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_token")));
    // The sent row keeps no body (no live link at rest).
    assert_eq!(outbox_to(&app, &email)[0].state.as_str(), "sent");
    let r = app
        .post("/api/v1/auth/verify-email/resend", Some(&token), json!({}))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("already_verified")));
}

/// A resent verification mail works, and the link it replaces no longer does.
#[actix_web::test]
async fn a_resent_verification_link_replaces_the_first() {
    let Some(smtp) = smtp("a_resent_verification_link_replaces_the_first") else {
        return;
    };
    let app = TestApp::new().await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let email = unique_address("resend");
    let reg = register(&app, &email).await;
    let token = reg["access_token"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/auth/verify-email/resend", Some(&token), json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let mut got = mail.deliver(&email, 2).await;
    assert_eq!(got.len(), 2);
    got.sort_by(|a, b| a.message_id.cmp(&b.message_id));
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({"token": got[0].token()}))
        .await;
    assert_eq!(r.body["code"], "invalid_token", "the replaced link worked: {}", r.body);
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({"token": got[1].token()}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

/// A reset request answers the same for known and unknown addresses; the mailed token resets
/// the password once, ends every session, and never works again.
#[actix_web::test]
async fn password_reset_is_silent_about_addresses_and_single_use() {
    let Some(smtp) = smtp("password_reset_is_silent_about_addresses_and_single_use") else {
        return;
    };
    let app = TestApp::new().await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let known = unique_address("reset-known");
    let unknown = unique_address("reset-unknown");
    let reg = register(&app, &known).await;
    let old_refresh = reg["refresh_token"].as_str().unwrap().to_owned();
    let old_access = reg["access_token"].as_str().unwrap().to_owned();

    let a = app
        .post("/api/v1/auth/password-reset", None, json!({"email": known}))
        .await;
    let b = app
        .post("/api/v1/auth/password-reset", None, json!({"email": unknown}))
        .await;
    assert_eq!(a.status, 202);
    assert_eq!(
        (a.status, &a.raw),
        (b.status, &b.raw),
        "known and unknown answers differ"
    );
    let rows = outbox_wait(&app, &known, 2).await;
    assert_eq!(rows.iter().filter(|r| r.kind.as_str() == "password_reset").count(), 1);
    assert!(outbox_to(&app, &unknown).is_empty());

    let got = mail.deliver(&known, 2).await;
    let reset = got
        .iter()
        .find(|m| m.subject.contains("パスワードの再設定"))
        .expect("reset mail");
    let link = format!("{}/password-reset#token=", app.config.mail.frontend_base_url);
    assert!(reset.body.contains(&link), "{}", reset.body);
    let token = reset.token();
    assert!(token.len() >= 43, "a token of 32 random bytes: {token}");

    let confirm = |t: String, pw: &'static str| {
        app.post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": t, "new_password": pw}),
        )
    };
    let r = confirm(token.clone(), "a fresh password 1").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.login(&known, PASSWORD).await.status, 401);
    assert_eq!(app.login(&known, "a fresh password 1").await.status, 200);
    assert_eq!(app.get("/api/v1/me", Some(&old_access)).await.status, 401);
    let r = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": old_refresh}))
        .await;
    assert_eq!(r.status, 401);
    let r = confirm(token, "another password 2").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_token")));
    assert_eq!(app.login(&known, "a fresh password 1").await.status, 200);
}

/// An expired token, an older token after a newer one, and a token after a password change
/// are all refused.
#[actix_web::test]
async fn stale_reset_tokens_are_refused() {
    let Some(smtp) = smtp("stale_reset_tokens_are_refused") else {
        return;
    };
    let app = TestApp::new().await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let email = unique_address("reset-stale");
    let reg = register(&app, &email).await;
    let access = reg["access_token"].as_str().unwrap().to_owned();
    let request = || app.post("/api/v1/auth/password-reset", None, json!({"email": email}));
    let confirm = |t: String| {
        app.post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": t, "new_password": "a fresh password 1"}),
        )
    };
    let (app_ref, mail_ref, email_ref) = (&app, &mail, &email);
    let tokens = |n: usize| async move {
        outbox_wait(app_ref, email_ref, n).await;
        let got = mail_ref.deliver(email_ref, n).await;
        let mut resets: Vec<_> = got.into_iter().filter(|m| m.subject.contains("パスワード")).collect();
        resets.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        resets.into_iter().map(|m| m.token()).collect::<Vec<_>>()
    };

    assert_eq!(request().await.status, 202);
    assert_eq!(request().await.status, 202);
    let two = tokens(3).await;
    assert_eq!(two.len(), 2);
    // Message ids are time-ordered: the first is the older link, voided by the newer one.
    let r = confirm(two[0].clone()).await;
    assert_eq!(r.body["code"], "invalid_token", "{}", r.body);

    app.pool
        .get()
        .unwrap()
        .batch_execute("UPDATE mail_tokens SET expires_at = '2000-01-01 00:00:00'")
        .unwrap();
    let r = confirm(two[1].clone()).await;
    assert_eq!(r.body["code"], "invalid_token", "an expired token worked: {}", r.body);

    assert_eq!(request().await.status, 202);
    let three = tokens(4).await;
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&access),
            json!({"current_password": PASSWORD, "new_password": "changed by hand 1"}),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = confirm(three[2].clone()).await;
    assert_eq!(
        r.body["code"], "invalid_token",
        "a token outlived a password change: {}",
        r.body
    );
}

/// Reset requests are limited per address (whatever the client), with the same 429 for
/// known and unknown addresses.
#[actix_web::test]
async fn reset_requests_are_limited_per_address() {
    let app = TestApp::with(|c| c.mail.per_address_per_hour = 2).await;
    for email in [unique_address("limit-known"), unique_address("limit-unknown")] {
        if email.starts_with("limit-known") {
            register(&app, &email).await;
        }
        for _ in 0..2 {
            let r = app
                .post("/api/v1/auth/password-reset", None, json!({"email": email}))
                .await;
            assert_eq!(r.status, 202);
        }
        let r = app
            .post("/api/v1/auth/password-reset", None, json!({"email": email}))
            .await;
        assert_eq!((r.status, r.body["code"].as_str()), (429, Some("rate_limited")));
        assert!(r.header("retry-after").is_some());
    }
}

/// A new address waits for its confirmation; the old one is told and stays in force.
#[actix_web::test]
async fn an_email_change_is_confirmed_by_the_new_address() {
    let Some(smtp) = smtp("an_email_change_is_confirmed_by_the_new_address") else {
        return;
    };
    let app = TestApp::new().await;
    let mail = Mailroom::new(&app, &smtp, &smtp.url);
    let old = unique_address("change-old");
    let new = unique_address("change-new");
    let reg = register(&app, &old).await;
    let token = reg["access_token"].as_str().unwrap().to_owned();
    let r = app.patch("/api/v1/me", Some(&token), json!({"email": new})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["email"].as_str(), r.body["pending_email"].as_str()),
        (Some(old.as_str()), Some(new.as_str()))
    );
    assert_eq!(app.login(&old, PASSWORD).await.status, 200);

    let notices = mail.deliver(&old, 2).await;
    let notice = notices
        .iter()
        .find(|m| m.subject.contains("変更"))
        .expect("the old address is told");
    assert!(notice.body.contains(&new), "{}", notice.body);
    assert!(!notice.body.contains("#token="), "the old address got the link");
    let link = mail.deliver(&new, 1).await;
    assert_eq!(link.len(), 1);
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({"token": link[0].token()}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.login(&new, PASSWORD).await.status, 200);
    assert_eq!(app.login(&old, PASSWORD).await.status, 401);
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (me.body["email"].as_str(), &me.body["pending_email"]),
        (Some(new.as_str()), &Value::Null)
    );
}
