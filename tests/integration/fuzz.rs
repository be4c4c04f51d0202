//! Property tests over the HTTP surface: arbitrary JSON bodies, query strings and path
//! segments never produce a 5xx or a panic, only 2xx/3xx/4xx with the problem shape
//! (checked for every response by the harness).

use crate::common::{TestApp, User};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("try_practice"),
            Just("13"),
            Just("2026-11-01"),
            Just("https://x.jp"),
            Just("organization")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("version".to_owned()),
                    Just("title".to_owned()),
                    Just("categories".to_owned()),
                    Just("email".to_owned()),
                    Just("reason_code".to_owned()),
                    ".{0,8}".prop_map(|s| s),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every route template with a method, for bodies and paths.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("PATCH", "/api/v1/me"),
    ("POST", "/api/v1/activities"),
    ("PATCH", "/api/v1/activities/{id}"),
    ("POST", "/api/v1/activities/{id}/submit"),
    ("POST", "/api/v1/moderation/activities/{id}/reject"),
    ("POST", "/api/v1/admin/campaigns"),
    ("PATCH", "/api/v1/admin/accounts/{id}"),
    ("GET", "/api/v1/public/activities/{id}"),
    ("GET", "/api/v1/activities/{id}/history"),
];

const LISTS: &[&str] = &[
    "/api/v1/public/activities",
    "/api/v1/public/feed.atom",
    "/api/v1/activities",
    "/api/v1/moderation/queue",
    "/api/v1/admin/accounts",
    "/api/v1/admin/audit",
];

fn sample<T: std::fmt::Debug>(runner: &mut TestRunner, s: &impl Strategy<Value = T>) -> T {
    s.new_tree(runner).expect("a value").current()
}

async fn actors(app: &TestApp) -> Vec<Option<User>> {
    let admin = app.admin().await;
    let moderator = app.staff(&admin, "moderator").await;
    let registrant = app.registrant("organization").await;
    vec![None, Some(registrant), Some(moderator), Some(admin)]
}

#[actix_web::test]
async fn arbitrary_bodies_never_cause_server_errors() {
    let app = TestApp::new().await;
    let who = actors(&app).await;
    let mut runner = TestRunner::new(Config::default());
    let body = any_json();
    for i in 0..300 {
        let (method, template) = ROUTES[i % ROUTES.len()];
        let user = &who[i % who.len()];
        let path = template.replace("{id}", "0192f1a0-0000-7000-8000-000000000001");
        let value = sample(&mut runner, &body);
        let req = TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&path)
            .insert_header(("content-type", "application/json"))
            .set_payload(value.to_string());
        let req = match user {
            Some(u) => req.insert_header(("authorization", format!("Bearer {}", u.token))),
            None => req,
        };
        let r = app.send(req).await;
        assert!(r.status < 500, "{method} {path} with {value}: {}", r.status);
    }
}

#[actix_web::test]
async fn arbitrary_query_strings_and_path_segments_never_cause_server_errors() {
    let app = TestApp::new().await;
    let who = actors(&app).await;
    let mut runner = TestRunner::new(Config::default());
    let key = prop_oneof![
        Just("limit"),
        Just("cursor"),
        Just("category"),
        Just("prefecture"),
        Just("kind"),
        Just("format"),
        Just("q"),
        Just("campaign"),
        Just("status"),
        Just("role"),
        Just("since"),
        Just("x"),
    ];
    let value = prop_oneof![
        ".{0,12}",
        "[0-9]{1,25}",
        "-[0-9]{1,5}",
        Just("%FF%FE".to_owned()),
        Just("%E3%83%86".to_owned())
    ];
    let pairs = prop::collection::vec((key, value), 0..5);
    for i in 0..300 {
        let list = LISTS[i % LISTS.len()];
        let query: Vec<String> = sample(&mut runner, &pairs)
            .into_iter()
            .map(|(k, v)| {
                let v: String = v
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '%' || c == '-' {
                            c.to_string()
                        } else {
                            format!("%{:02X}", c as u32 & 0xff)
                        }
                    })
                    .collect();
                format!("{k}={v}")
            })
            .collect();
        let url = format!("{list}?{}", query.join("&"));
        let user = &who[i % who.len()];
        let r = app.get(&url, user.as_ref().map(|u| u.token.as_str())).await;
        assert!(r.status < 500, "GET {url}: {}", r.status);
    }
    let segment = prop_oneof![
        ".{1,20}",
        "[0-9a-f-]{36}",
        Just("%00".to_owned()),
        Just("..".to_owned())
    ];
    for i in 0..100 {
        let seg: String = sample(&mut runner, &segment)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '%' {
                    c.to_string()
                } else {
                    format!("%{:02X}", c as u32 & 0xff)
                }
            })
            .collect();
        let url = format!("/api/v1/public/activities/{seg}");
        let user = &who[i % who.len()];
        let r = app.get(&url, user.as_ref().map(|u| u.token.as_str())).await;
        assert!(r.status < 500, "GET {url}: {}", r.status);
    }
}
