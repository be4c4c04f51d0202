//! Registration, validation, sign-in, tokens, and account administration.

use crate::common::{TestApp, JWT_SECRET, PASSWORD};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

#[actix_web::test]
async fn registers_both_kinds_and_hides_nothing_from_the_owner() {
    let app = TestApp::new().await;
    let org = app.registrant("organization").await;
    let me = app.get("/api/v1/me", Some(&org.token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["kind"], "organization");
    assert_eq!(me.body["role"], "registrant");
    assert_eq!(me.body["phone"], "03-1234-5678");
    assert!(me.body.get("password_hash").is_none());
    let ind = app.registrant("individual").await;
    let me = app.get("/api/v1/me", Some(&ind.token)).await;
    assert_eq!(me.body["kind"], "individual");
}

fn base() -> Value {
    json!({"email": "new@example.jp", "password": PASSWORD, "kind": "organization", "display_name": "株式会社サンプル"})
}

#[actix_web::test]
async fn every_registration_rule_names_its_field() {
    let app = TestApp::new().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("email", json!("not-an-email"), "invalid_email"),
        ("password", json!("short"), "too_short"),
        ("password", json!("x".repeat(129)), "too_long"),
        ("kind", json!("robot"), "invalid_choice"),
        ("display_name", json!(""), "required"),
        ("display_name", json!("あ".repeat(101)), "too_long"),
        ("prefecture", json!("48"), "invalid_choice"),
        ("industry", json!("Z"), "invalid_choice"),
        ("employee_band", json!("5-10"), "invalid_choice"),
        ("website", json!("javascript:alert(1)"), "invalid_url"),
        ("corporate_number", json!("1180301018772"), "invalid_corporate_number"),
        ("corporate_number", json!("123"), "invalid_corporate_number"),
    ];
    for (field, value, code) in cases {
        let mut body = base();
        body[field] = value;
        let r = app.post("/api/v1/auth/register", None, body).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], code, "{}", r.body);
    }
    // An individual cannot carry organization-only fields.
    let mut body = base();
    body["kind"] = json!("individual");
    body["corporate_number"] = json!("1180301018771");
    let r = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(r.body["errors"][0]["code"], "not_applicable");
}

#[actix_web::test]
async fn email_and_corporate_number_are_unique() {
    let app = TestApp::new().await;
    let mut body = base();
    body["corporate_number"] = json!("1180301018771");
    assert_eq!(app.post("/api/v1/auth/register", None, body).await.status, 201);
    let mut again = base();
    again["email"] = json!("NEW@Example.JP");
    let r = app.post("/api/v1/auth/register", None, again).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("email_taken")));
    let mut same_org = base();
    same_org["email"] = json!("other@example.jp");
    same_org["corporate_number"] = json!("1180301018771");
    let r = app.post("/api/v1/auth/register", None, same_org).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("corporate_number_taken"))
    );
}

#[actix_web::test]
async fn login_does_not_reveal_whether_an_email_exists() {
    let app = TestApp::new().await;
    let user = app.registrant("individual").await;
    let wrong_password = app.login(&user.email, "wrong password!!").await;
    let unknown = app.login("nobody@example.jp", "wrong password!!").await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.body, unknown.body);
    let ok = app.login(&user.email.to_uppercase(), PASSWORD).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert!(ok.body["expires_in"].as_i64().unwrap() > 0);
}

fn forge(claims: Value, key: &str, alg: Algorithm) -> String {
    encode(&Header::new(alg), &claims, &EncodingKey::from_secret(key.as_bytes())).unwrap()
}

#[actix_web::test]
async fn forged_and_stale_tokens_are_refused() {
    let app = TestApp::new().await;
    let user = app.registrant("individual").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, aud: &str| json!({"sub": user.id, "role": "registrant", "iat": now, "exp": exp, "iss": iss, "aud": aud, "jti": "x", "tv": 0});
    let good = forge(
        claims(now + 600, "telework-registry", "telework-registry-api"),
        JWT_SECRET,
        Algorithm::HS256,
    );
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.status, 200);
    let header_none = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64_url(&claims(now + 600, "telework-registry", "telework-registry-api").to_string());
    let bad_tokens = vec![
        ("alg none", format!("{header_none}.{payload}.")),
        (
            "wrong key",
            forge(
                claims(now + 600, "telework-registry", "telework-registry-api"),
                "another-secret-another-secret-xx",
                Algorithm::HS256,
            ),
        ),
        ("tampered payload", {
            let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
            parts[1] = base64_url(&json!({"sub": user.id, "role": "admin", "iat": now, "exp": now + 600, "iss": "telework-registry", "aud": "telework-registry-api", "jti": "x", "tv": 0}).to_string());
            parts.join(".")
        }),
        (
            "expired",
            forge(
                claims(now - 120, "telework-registry", "telework-registry-api"),
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "wrong issuer",
            forge(
                claims(now + 600, "someone-else", "telework-registry-api"),
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "wrong audience",
            forge(
                claims(now + 600, "telework-registry", "other-api"),
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "HS512",
            forge(
                claims(now + 600, "telework-registry", "telework-registry-api"),
                JWT_SECRET,
                Algorithm::HS512,
            ),
        ),
        ("garbage", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in bad_tokens {
        let r = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(r.status, 401, "{what}");
    }
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    let user = app.registrant("individual").await;
    let r1 = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": user.refresh}))
        .await;
    assert_eq!(r1.status, 200);
    let second = r1.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, user.refresh);
    // Reusing the first one is detected and kills the whole family, the second included.
    let reuse = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": user.refresh}))
        .await;
    assert_eq!(reuse.status, 401);
    let after = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": second}))
        .await;
    assert_eq!(after.status, 401);
    // Logout revokes.
    let login = app.login(&user.email, PASSWORD).await;
    let rt = login.body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": rt}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": rt}))
            .await
            .status,
        401
    );
}

#[actix_web::test]
async fn password_change_revokes_every_token() {
    let app = TestApp::new().await;
    let user = app.registrant("individual").await;
    let wrong = app
        .post(
            "/api/v1/me/password",
            Some(&user.token),
            json!({"current_password": "nope nope nope", "new_password": "a new password 1"}),
        )
        .await;
    assert_eq!(wrong.status, 403);
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&user.token),
            json!({"current_password": PASSWORD, "new_password": "a new password 1"}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/api/v1/me", Some(&user.token)).await.status, 401);
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": user.refresh}))
            .await
            .status,
        401
    );
    assert_eq!(app.login(&user.email, PASSWORD).await.status, 401);
    assert_eq!(app.login(&user.email, "a new password 1").await.status, 200);
}

#[actix_web::test]
async fn disabled_and_demoted_staff_lose_access_at_once() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let moderator = app.staff(&admin, "moderator").await;
    assert_eq!(
        app.get("/api/v1/moderation/queue", Some(&moderator.token)).await.status,
        200
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/accounts/{}", moderator.id),
            Some(&admin.token),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!((r.status, r.body["disabled"].as_bool()), (200, Some(true)));
    assert_eq!(
        app.get("/api/v1/moderation/queue", Some(&moderator.token)).await.status,
        401
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": moderator.refresh})
        )
        .await
        .status,
        401
    );
    assert_eq!(app.login(&moderator.email, PASSWORD).await.status, 403);

    let other_admin = app.staff(&admin, "admin").await;
    assert_eq!(
        app.get("/api/v1/admin/accounts", Some(&other_admin.token)).await.status,
        200
    );
    let r = app
        .patch(
            &format!("/api/v1/admin/accounts/{}", other_admin.id),
            Some(&admin.token),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(r.body["role"], "moderator");
    assert_eq!(
        app.get("/api/v1/admin/accounts", Some(&other_admin.token)).await.status,
        401
    );
    let fresh = app.login(&other_admin.email, PASSWORD).await;
    let token = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/admin/accounts", Some(token)).await.status, 403);
    assert_eq!(app.get("/api/v1/moderation/queue", Some(token)).await.status, 200);
    // Admins cannot lock themselves out.
    let r = app
        .patch(
            &format!("/api/v1/admin/accounts/{}", admin.id),
            Some(&admin.token),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("cannot_change_self")));
    // Account changes are audited.
    let r = app
        .get("/api/v1/admin/audit?action=account_disable", Some(&admin.token))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn admin_lists_accounts_with_filters_and_pages() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for _ in 0..3 {
        app.registrant("organization").await;
    }
    app.registrant("individual").await;
    let r = app
        .get("/api/v1/admin/accounts?kind=organization&limit=2", Some(&admin.token))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("/api/v1/admin/accounts?kind=organization&limit=2&cursor={cursor}"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert!(r.body["next_cursor"].is_null());
    assert_eq!(
        app.get("/api/v1/admin/accounts?role=king", Some(&admin.token))
            .await
            .status,
        400
    );
}

#[actix_web::test]
async fn profile_edits_validate_and_round_trip_japanese() {
    let app = TestApp::new().await;
    let org = app.registrant("organization").await;
    let r = app
        .patch("/api/v1/me", Some(&org.token), json!({"display_name": "  株式会社テレワーク研究所  ", "name_kana": "テレワークケンキュウジョ", "website": null}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["display_name"], "株式会社テレワーク研究所");
    assert_eq!(r.body["name_kana"], "テレワークケンキュウジョ");
    let r = app
        .patch("/api/v1/me", Some(&org.token), json!({"prefecture": "99"}))
        .await;
    assert_eq!(r.body["errors"][0]["field"], "prefecture");
}

#[actix_web::test]
async fn login_and_registration_are_rate_limited() {
    let app = TestApp::with(|c| c.auth_rate_limit_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.login("x@example.jp", "whatever whatever").await.status, 401);
    }
    let r = app.login("x@example.jp", "whatever whatever").await;
    assert_eq!((r.status, r.body["code"].as_str()), (429, Some("rate_limited")));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let r = app.post("/api/v1/auth/register", None, base()).await;
    assert_eq!(r.status, 429);
}

#[actix_web::test]
async fn reference_data_is_complete() {
    let app = TestApp::new().await;
    let p = app.get("/api/v1/prefectures", None).await;
    assert_eq!(p.body["items"].as_array().unwrap().len(), 47);
    assert_eq!(
        p.body["items"][12],
        json!({"code": "13", "name_ja": "東京都", "name_en": "Tokyo"})
    );
    let i = app.get("/api/v1/industries", None).await;
    assert_eq!(i.body["items"].as_array().unwrap().len(), 20);
    let c = app.get("/api/v1/categories", None).await;
    assert_eq!(c.body["items"][0]["code"], "try_practice");
    let etag = c.header("etag").unwrap().to_owned();
    let r = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/api/v1/categories")
                .insert_header(("if-none-match", etag)),
        )
        .await;
    assert_eq!(r.status, 304);
}
