//! Login and registration limits per client address behind reverse proxies
//! (`TRUSTED_PROXIES`): `X-Forwarded-For` counts only from a trusted peer, and only as far as
//! the trusted proxies wrote it.

use crate::common::{TestApp, PASSWORD};
use actix_web::test::TestRequest;
use serde_json::json;
use std::net::SocketAddr;

const LIMIT: u32 = 3;

async fn app(trusted: &str) -> TestApp {
    let trusted = trusted.parse().expect("trusted proxies");
    TestApp::with(|c| {
        c.auth_rate_limit_per_minute = LIMIT;
        c.trusted_proxies = trusted;
    })
    .await
}

/// A failed login from `peer` carrying `xff`; returns the status.
async fn login(app: &TestApp, peer: &str, xff: Option<&str>) -> u16 {
    let peer: SocketAddr = peer.parse().unwrap();
    let mut req = TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(peer)
        .set_json(json!({"email": "nobody@example.jp", "password": PASSWORD}));
    if let Some(xff) = xff {
        req = req.insert_header(("x-forwarded-for", xff));
    }
    app.send(req).await.status
}

#[actix_web::test]
async fn spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let app = app("10.0.0.0/8").await;
    for i in 1..=LIMIT {
        let xff = format!("203.0.113.{i}");
        assert_eq!(login(&app, "198.51.100.1:5000", Some(&xff)).await, 401);
    }
    assert_eq!(login(&app, "198.51.100.1:5001", Some("203.0.113.99")).await, 429);
    assert_eq!(login(&app, "198.51.100.1:5002", None).await, 429);
}

#[actix_web::test]
async fn clients_behind_a_trusted_proxy_get_buckets_of_their_own() {
    let app = app("127.0.0.1, ::1").await;
    for _ in 0..LIMIT {
        assert_eq!(login(&app, "127.0.0.1:40000", Some("203.0.113.1")).await, 401);
    }
    assert_eq!(login(&app, "127.0.0.1:40001", Some("203.0.113.1")).await, 429);
    // Another client through the same proxy is not held back by the first.
    assert_eq!(login(&app, "127.0.0.1:40002", Some("203.0.113.2")).await, 401);
    assert_eq!(login(&app, "[::1]:40003", Some("2001:db8::2")).await, 401);
    // Registration counts in the same bucket as login.
    let r = app
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/register")
                .peer_addr("127.0.0.1:40004".parse().unwrap())
                .insert_header(("x-forwarded-for", "203.0.113.1"))
                .set_json(
                    json!({"email": "a@example.jp", "password": PASSWORD, "kind": "individual", "display_name": "a"}),
                ),
        )
        .await;
    assert_eq!(r.status, 429);
}

#[actix_web::test]
async fn a_forged_left_most_entry_cannot_escape_the_limit() {
    let app = app("127.0.0.1, 10.0.0.0/8").await;
    // The client sends its own X-Forwarded-For; the outer proxy (10.0.0.2) appends the
    // client's address and the inner one (the peer) appends the outer one's.
    for i in 1..=LIMIT {
        let xff = format!("{i}.{i}.{i}.{i}, 203.0.113.7, 10.0.0.2");
        assert_eq!(login(&app, "127.0.0.1:40000", Some(&xff)).await, 401);
    }
    for forged in [
        "9.9.9.9, 203.0.113.7, 10.0.0.2",
        "garbage, 203.0.113.7, 10.0.0.2",
        "203.0.113.7",
    ] {
        assert_eq!(login(&app, "127.0.0.1:40000", Some(forged)).await, 429, "{forged}");
    }
}
