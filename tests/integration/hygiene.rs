//! HTTP and logging hygiene of the real binary: secrets never reach the log, and a client
//! that sends its request too slowly is cut off.

use crate::common::{TestDb, PASSWORD};
use crate::proc_util::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A full flow at `RUST_LOG=debug`; then the log must hold no password, token or hash.
#[test]
fn logs_never_contain_passwords_tokens_or_hashes() {
    let db = TestDb::new();
    create_admin(&db.url, ADMIN_EMAIL);
    let mut server = Server::start(&db.url, &[("RUST_LOG", "debug")]);
    let api = server.api();
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), "a brand new password 1".to_owned()];

    let registered = api.expect(
        201,
        "/api/v1/auth/register",
        None,
        json!({"email": "logs@example.jp", "password": PASSWORD, "kind": "individual", "display_name": "ログ 確認"}),
    );
    let access = registered["access_token"].as_str().unwrap().to_owned();
    let refresh = registered["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/api/v1/me", Some(&access)).status, 200);
    let rotated = api.expect(200, "/api/v1/auth/refresh", None, json!({"refresh_token": refresh}));
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    // A wrong login and a reused refresh token take the failure paths too.
    assert_eq!(
        api.post(
            "/api/v1/auth/login",
            None,
            json!({"email": "logs@example.jp", "password": "wrong password!"})
        )
        .status,
        401
    );
    assert_eq!(
        api.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh}))
            .status,
        401
    );
    let admin = api.login(ADMIN_EMAIL);
    let moderator = api.moderator(&admin, "logs-mod@example.jp");
    // An admin's account search names a private address in the query string.
    assert_eq!(
        api.get("/api/v1/admin/accounts?q=logs%40example.jp", Some(&admin))
            .status,
        200
    );
    api.expect(
        204,
        "/api/v1/me/password",
        Some(&access_after_login(&api)),
        json!({"current_password": PASSWORD, "new_password": "a brand new password 1"}),
    );
    assert_eq!(
        api.post("/api/v1/auth/logout", None, json!({"refresh_token": refresh2}))
            .status,
        204
    );
    secrets.extend([
        access.clone(),
        refresh.clone(),
        refresh2.clone(),
        admin.clone(),
        moderator.clone(),
    ]);
    // A token's signature part alone must not appear either.
    secrets.extend(
        [&access, &admin]
            .iter()
            .map(|t| t.rsplit('.').next().unwrap().to_owned()),
    );
    server.kill();

    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("POST /api/v1/auth/login"),
        "the debug log should record requests:\n{log}"
    );
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a secret ({}…)",
            &secret[..8.min(secret.len())]
        );
    }
    for token in [&refresh, &refresh2] {
        let stored = telework_registry::db::tokens::hash(token);
        assert!(!log.contains(&stored), "the log contains a refresh token hash");
    }
    assert!(!log.contains("$argon2"), "the log contains a password hash");
    assert!(
        !log.contains("logs@example.jp") && !log.contains("logs%40example.jp"),
        "the log contains a registrant's email"
    );
}

/// Signs in again as the flow's registrant (its first access token still works, but this
/// exercises the login path with the real password).
fn access_after_login(api: &Api) -> String {
    let body = api.expect(
        200,
        "/api/v1/auth/login",
        None,
        json!({"email": "logs@example.jp", "password": PASSWORD}),
    );
    body["access_token"].as_str().unwrap().to_owned()
}

/// A client that never finishes its request headers is answered 408 and disconnected once
/// `CLIENT_REQUEST_TIMEOUT_MS` passes; others are served meanwhile.
#[test]
fn slow_clients_are_cut_off() {
    let db = TestDb::new();
    let server = Server::start(&db.url, &[("CLIENT_REQUEST_TIMEOUT_MS", "300")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(server.api().get("/healthz", None).status, 200);
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = slow.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(read.is_ok(), "the server kept the slow connection open: {read:?}");
    assert!(waited < Duration::from_secs(3), "cut off only after {waited:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

/// The mailed tokens of a verification and a password reset, their links and the new
/// password: none of them in the log at `RUST_LOG=debug`, with mail written to files.
#[test]
fn mailed_tokens_links_and_reset_passwords_never_reach_the_log() {
    let db = TestDb::new();
    let mut server = Server::start(&db.url, &[("RUST_LOG", "debug"), ("OUTBOX_POLL_MS", "20")]);
    let api = server.api();
    let mail_dir = server._dir.path().join("data/mail");
    let email = "mailed@example.jp";
    api.expect(
        201,
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "kind": "individual", "display_name": "メール 確認"}),
    );
    let link = |marker: &str| -> Option<String> {
        for entry in std::fs::read_dir(&mail_dir).ok()?.flatten() {
            let bytes = std::fs::read(entry.path()).ok()?;
            let body = mailparse::parse_mail(&bytes).ok()?.get_body().ok()?;
            if let Some(start) = body.find(marker) {
                let rest = &body[start..];
                return Some(rest.split_whitespace().next()?.to_owned());
            }
        }
        None
    };
    let wait = |marker: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = link(marker) {
                return l;
            }
            assert!(
                Instant::now() < deadline,
                "no mail with {marker} in {}",
                mail_dir.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let verify_link = wait("/verify-email#token=");
    let verify_token = verify_link.split("#token=").nth(1).unwrap().to_owned();
    api.expect(204, "/api/v1/auth/verify-email", None, json!({"token": verify_token}));
    api.expect(202, "/api/v1/auth/password-reset", None, json!({"email": email}));
    let reset_link = wait("/password-reset#token=");
    let reset_token = reset_link.split("#token=").nth(1).unwrap().to_owned();
    let new_password = "a password set by mail 7";
    api.expect(
        204,
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": reset_token, "new_password": new_password}),
    );
    // A reused token takes the failure path.
    let r = api.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": reset_token, "new_password": new_password}),
    );
    assert_eq!(r.status, 400);
    api.expect(
        200,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": new_password}),
    );
    server.kill();

    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("mail: delivered"),
        "the worker should log deliveries:\n{log}"
    );
    let start_line = "mail: SMTP_URL is not set; each mail is written as an .eml file under data/mail";
    assert_eq!(
        log.matches(start_line).count(),
        1,
        "one start-up line says where mail goes:\n{log}"
    );
    for secret in [
        &verify_token,
        &verify_link,
        &reset_token,
        &reset_link,
        &new_password.to_owned(),
    ] {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a mailed secret ({}…)",
            &secret[..8.min(secret.len())]
        );
    }
    for token in [&verify_token, &reset_token] {
        let stored = telework_registry::db::tokens::hash(token);
        assert!(!log.contains(&stored), "the log contains a mailed token's hash");
    }
}
