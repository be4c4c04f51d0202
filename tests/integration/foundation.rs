//! The service contract: health, the problem+json shape of every bad request, headers, the
//! spec, and migrations.

use crate::common::{TestApp, TestDb};
use actix_web::test::TestRequest;
use serde_json::json;
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};

#[actix_web::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let r = app.get("/healthz", None).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"status": "ok"})));
    let r = app.get("/readyz", None).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"status": "ready"})));
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("not_found")));
    let r = app.send(TestRequest::delete().uri("/api/v1/campaigns")).await;
    assert_eq!((r.status, r.body["code"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = app
        .send(TestRequest::put().uri("/api/v1/activities/0192f1a0-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PATCH, DELETE"));
}

#[actix_web::test]
async fn bad_bodies_get_precise_problems_and_change_nothing() {
    let app = TestApp::new().await;
    let url = "/api/v1/auth/register";
    let send = |body: &'static str, ctype: &'static str| {
        TestRequest::post()
            .uri(url)
            .insert_header(("content-type", ctype))
            .set_payload(body)
    };
    let r = app.send(send("{not json", "application/json")).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("malformed_json")));
    let r = app.send(send(r#"{"email": 5}"#, "application/json")).await;
    assert_eq!(r.body["code"], "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "email");
    assert_eq!(r.body["errors"][0]["code"], "invalid_type");
    let r = app
        .send(send(
            r#"{"email":"a@b.jp","password":"1234567890","kind":"individual","display_name":"x","admin":true}"#,
            "application/json",
        ))
        .await;
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    assert_eq!(r.body["errors"][0]["field"], "admin");
    let r = app.send(send("{}", "text/plain")).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let big = format!(r#"{{"email":"{}"}}"#, "a".repeat(70 * 1024));
    let r = app
        .send(
            TestRequest::post()
                .uri(url)
                .insert_header(("content-type", "application/json"))
                .set_payload(big),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (413, Some("payload_too_large")));
    // Nothing was written.
    let admin = app.admin().await;
    let r = app
        .get("/api/v1/admin/accounts?role=registrant", Some(&admin.token))
        .await;
    assert_eq!(r.body["items"], json!([]));
}

#[actix_web::test]
async fn bad_path_and_query_values_are_400s_naming_them() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/public/activities/not-a-uuid", None).await;
    assert_eq!((r.status, r.body["errors"][0]["field"].as_str()), (400, Some("id")));
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=%%%", "cursor"),
        ("category=nope", "category"),
        ("prefecture=48", "prefecture"),
        ("bogus=1", "bogus"),
    ] {
        let r = app.get(&format!("/api/v1/public/activities?{q}"), None).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{q}");
    }
}

#[actix_web::test]
async fn responses_carry_request_id_and_security_headers() {
    let app = TestApp::new().await;
    let r = app
        .send(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("x-request-id", "abc-123")),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert!(r.header("server").is_none());
    let r = app.get("/healthz", None).await;
    assert_eq!(r.header("x-request-id").map(str::len), Some(36));
    let r = app.get("/docs/", None).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    let r = app.get("/docs", None).await;
    assert!(r.status == 307 || r.status == 308 || r.status == 301);
}

#[actix_web::test]
async fn served_spec_is_the_generated_one() {
    let app = TestApp::new().await;
    let r = app.get("/openapi.json", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
    let generated: serde_json::Value = serde_json::from_str(&telework_registry::openapi::spec_json()).unwrap();
    assert_eq!(r.body, generated);
}

/// `openapi/openapi.json` is committed; it must equal what the code generates.
/// Generated clients name their functions after operationIds: each is unique and says
/// what the operation does, not just a handler's name.
#[test]
fn operation_ids_are_unique_and_named_for_their_resource() {
    let spec: serde_json::Value = serde_json::from_str(&telework_registry::openapi::spec_json()).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(seen.insert(id.to_owned()), "operationId {id} repeats ({method} {path})");
            assert!(id.contains('_'), "operationId {id} ({method} {path}) names no resource");
        }
    }
    assert!(seen.len() >= 38, "{}", seen.len());
}

/// Regenerate with `cargo run -- openapi > openapi/openapi.json`.
#[test]
fn committed_spec_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap_or_default();
    let generated = telework_registry::openapi::spec_json();
    if committed != generated {
        let diff: Vec<String> = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n  committed: {a}\n  generated: {b}", i + 1))
            .collect();
        panic!(
            "openapi/openapi.json is stale ({} vs {} lines); regenerate with `cargo run -- openapi > openapi/openapi.json`\n{}",
            committed.lines().count(),
            generated.lines().count(),
            diff.join("\n")
        );
    }
}

fn migration_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    assert_eq!(migration_names("sqlite"), migration_names("postgres"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    use diesel_migrations::MigrationHarness;
    let tdb = TestDb::new();
    let target = DbTarget::parse(&tdb.url).unwrap();
    let pool = db::connect(
        &target,
        &PoolOptions {
            max_size: 1,
            timeout: std::time::Duration::from_secs(5),
            statement_timeout: None,
        },
    )
    .unwrap();
    let mut conn = pool.get().unwrap();
    assert!(db::migrate(&mut conn).unwrap() >= 1);
    match &mut *conn {
        DbConn::Sqlite(c) => {
            c.revert_all_migrations(db::SQLITE_MIGRATIONS).unwrap();
        }
        DbConn::Pg(c) => {
            c.revert_all_migrations(db::POSTGRES_MIGRATIONS).unwrap();
        }
    }
    assert!(db::migrate(&mut conn).unwrap() >= 1);
    assert_eq!(db::migrate(&mut conn).unwrap(), 0);
}

/// Every variable the configuration reads is listed in `.env.example` and in the README's
/// configuration table.
#[test]
fn every_variable_is_documented() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/{p}")).unwrap();
    let source = read("src/config.rs") + &read("src/config/mail.rs") + &read("src/config/webhooks.rs");
    let (example, readme) = (read(".env.example"), read("README.md"));
    let mut names = Vec::new();
    for part in source.split('"').skip(1).step_by(2) {
        if part.len() > 3 && part.chars().all(|c| c.is_ascii_uppercase() || c == '_') && part.contains('_') {
            names.push(part.to_owned());
        }
    }
    assert!(names.len() >= 25, "{names:?}");
    for name in names {
        assert!(example.contains(&format!("\n{name}=")), "{name} is not in .env.example");
        assert!(
            readme.contains(&format!("`{name}` |")) || readme.contains(&format!("| `{name}` /")),
            "{name} is not in the README's table"
        );
    }
}
