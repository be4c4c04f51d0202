//! The authorization matrix: every route in the spec has a rule here, and each rule is
//! checked against anonymous callers, registrants and moderators. A new route without a
//! rule fails `every_route_has_a_rule`.

use crate::common::TestApp;
use actix_web::http::Method;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anyone,
    SignedIn,
    Registrant,
    Moderator,
    Admin,
}

const RULES: &[(&str, &str, Who)] = &[
    ("GET", "/healthz", Who::Anyone),
    ("GET", "/readyz", Who::Anyone),
    ("POST", "/api/v1/auth/register", Who::Anyone),
    ("POST", "/api/v1/auth/login", Who::Anyone),
    ("POST", "/api/v1/auth/refresh", Who::Anyone),
    ("POST", "/api/v1/auth/logout", Who::Anyone),
    ("POST", "/api/v1/auth/verify-email", Who::Anyone),
    ("POST", "/api/v1/auth/verify-email/resend", Who::SignedIn),
    ("POST", "/api/v1/auth/password-reset", Who::Anyone),
    ("POST", "/api/v1/auth/password-reset/confirm", Who::Anyone),
    ("GET", "/api/v1/me", Who::SignedIn),
    ("PATCH", "/api/v1/me", Who::SignedIn),
    ("POST", "/api/v1/me/password", Who::SignedIn),
    ("DELETE", "/api/v1/me", Who::SignedIn),
    ("GET", "/api/v1/me/export", Who::SignedIn),
    ("GET", "/api/v1/categories", Who::Anyone),
    ("GET", "/api/v1/prefectures", Who::Anyone),
    ("GET", "/api/v1/industries", Who::Anyone),
    ("GET", "/api/v1/campaigns", Who::Anyone),
    ("POST", "/api/v1/admin/campaigns", Who::Admin),
    ("PATCH", "/api/v1/admin/campaigns/{slug}", Who::Admin),
    ("GET", "/api/v1/admin/accounts", Who::Admin),
    ("POST", "/api/v1/admin/accounts", Who::Admin),
    ("PATCH", "/api/v1/admin/accounts/{id}", Who::Admin),
    ("GET", "/api/v1/admin/audit", Who::Admin),
    ("GET", "/api/v1/admin/outbox", Who::Admin),
    ("POST", "/api/v1/admin/accounts/{id}/erase", Who::Admin),
    ("POST", "/api/v1/admin/outbox/{id}/retry", Who::Admin),
    ("GET", "/api/v1/admin/webhooks", Who::Admin),
    ("POST", "/api/v1/admin/webhooks", Who::Admin),
    ("GET", "/api/v1/admin/webhooks/{id}", Who::Admin),
    ("PATCH", "/api/v1/admin/webhooks/{id}", Who::Admin),
    ("DELETE", "/api/v1/admin/webhooks/{id}", Who::Admin),
    ("POST", "/api/v1/admin/webhooks/{id}/rotate-secret", Who::Admin),
    ("GET", "/api/v1/admin/webhooks/{id}/deliveries", Who::Admin),
    (
        "POST",
        "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/replay",
        Who::Admin,
    ),
    ("POST", "/api/v1/admin/webhooks/{id}/test", Who::Admin),
    ("POST", "/api/v1/activities", Who::Registrant),
    ("GET", "/api/v1/activities", Who::Registrant),
    ("GET", "/api/v1/activities/{id}", Who::Registrant),
    ("PATCH", "/api/v1/activities/{id}", Who::Registrant),
    ("DELETE", "/api/v1/activities/{id}", Who::Registrant),
    ("POST", "/api/v1/activities/{id}/submit", Who::Registrant),
    ("POST", "/api/v1/activities/{id}/withdraw", Who::Registrant),
    ("GET", "/api/v1/activities/{id}/history", Who::SignedIn),
    ("GET", "/api/v1/moderation/queue", Who::Moderator),
    ("GET", "/api/v1/moderation/activities/{id}", Who::Moderator),
    ("GET", "/api/v1/moderation/reasons", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/approve", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/reject", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/unpublish", Who::Moderator),
    ("GET", "/api/v1/moderation/stats", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/claim", Who::Moderator),
    ("POST", "/api/v1/moderation/bulk", Who::Moderator),
    ("GET", "/api/v1/moderation/queue/count", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/notes", Who::Moderator),
    ("GET", "/api/v1/moderation/activities/{id}/notes", Who::Moderator),
    ("POST", "/api/v1/moderation/activities/{id}/release", Who::Moderator),
    ("GET", "/api/v1/public/activities", Who::Anyone),
    ("GET", "/api/v1/public/activities/{id}", Who::Anyone),
    ("GET", "/api/v1/public/stats", Who::Anyone),
    ("GET", "/api/v1/public/export.csv", Who::Anyone),
    ("GET", "/api/v1/public/export.json", Who::Anyone),
    ("GET", "/api/v1/public/badges/{id}", Who::Anyone),
    ("GET", "/api/v1/public/badges/{id}.svg", Who::Anyone),
    ("GET", "/api/v1/activities/{id}/badge", Who::Registrant),
    ("GET", "/api/v1/admin/export/registrations.csv", Who::Admin),
    ("GET", "/api/v1/public/feed.atom", Who::Anyone),
    ("POST", "/api/v1/activities/{id}/copy", Who::Registrant),
    ("POST", "/api/v1/activities/{id}/sessions", Who::Registrant),
    ("GET", "/api/v1/activities/{id}/sessions", Who::SignedIn),
    ("PATCH", "/api/v1/activities/{id}/sessions/{sid}", Who::Registrant),
    ("DELETE", "/api/v1/activities/{id}/sessions/{sid}", Who::Registrant),
    ("POST", "/api/v1/activities/{id}/sessions/{sid}/cancel", Who::Registrant),
    (
        "GET",
        "/api/v1/activities/{id}/sessions/{sid}/applications",
        Who::SignedIn,
    ),
    (
        "GET",
        "/api/v1/activities/{id}/sessions/{sid}/applications.csv",
        Who::SignedIn,
    ),
    ("GET", "/api/v1/public/activities/{id}/sessions", Who::Anyone),
    ("POST", "/api/v1/public/sessions/{sid}/applications", Who::Anyone),
    ("POST", "/api/v1/public/applications/confirm", Who::Anyone),
    ("POST", "/api/v1/public/applications/view", Who::Anyone),
    ("POST", "/api/v1/public/applications/cancel", Who::Anyone),
];

fn spec_routes() -> Vec<(String, String, bool)> {
    let spec = telework_registry::openapi::spec();
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
            ("PUT", &item.put),
        ] {
            if let Some(op) = op {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                out.push((method.to_owned(), path.clone(), secured));
            }
        }
    }
    out
}

#[test]
fn every_route_has_a_rule_and_the_spec_states_its_security() {
    let routes = spec_routes();
    for (method, path, secured) in &routes {
        let rule = RULES.iter().find(|(m, p, _)| m == method && p == path);
        let Some((_, _, who)) = rule else {
            panic!("{method} {path} has no rule in the authorization matrix");
        };
        assert_eq!(
            *secured,
            *who != Who::Anyone,
            "{method} {path}: the spec's security requirement disagrees with the rule"
        );
    }
    assert_eq!(
        routes.len(),
        RULES.len(),
        "the matrix lists routes the spec does not have"
    );
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "0192f1a0-0000-7000-8000-000000000001")
        .replace("{delivery_id}", "0192f1a0-0000-7000-8000-000000000002")
        .replace("{sid}", "0192f1a0-0000-7000-8000-000000000003")
        .replace("{slug}", "x")
}

#[actix_web::test]
async fn roles_are_enforced_on_every_route() {
    let app = TestApp::new().await;
    let registrant = app.registrant("organization").await;
    let moderator = app.moderator().await;
    for (method, path, who) in RULES {
        if *who == Who::Anyone {
            continue;
        }
        let url = concrete(path);
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (m == Method::POST || m == Method::PATCH).then(|| json!({}));
        let r = app.call(m.clone(), &url, None, body.clone()).await;
        assert_eq!(r.status, 401, "anonymous {method} {path}");
        let as_registrant = app.call(m.clone(), &url, Some(&registrant.token), body.clone()).await;
        if matches!(who, Who::Moderator | Who::Admin) {
            assert_eq!(as_registrant.status, 403, "registrant {method} {path}");
        } else {
            assert_ne!(as_registrant.status, 403, "registrant {method} {path}");
        }
        let as_moderator = app.call(m.clone(), &url, Some(&moderator.token), body).await;
        if matches!(who, Who::Admin | Who::Registrant) {
            assert_eq!(as_moderator.status, 403, "moderator {method} {path}");
        } else {
            assert_ne!(as_moderator.status, 403, "moderator {method} {path}");
        }
    }
}
