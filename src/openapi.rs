//! Spec metadata only (info, tags, security scheme); the paths come from the handlers.

use crate::api;
use crate::domain::codes::{ClaimedFilter, QueueSort};
use crate::domain::event::ApplicationStatus;
use crate::error::Problem;
use actix_web::App;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Spec, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "telework-registry",
        description = "JSON API of the Telework Month (テレワーク月間) registry: registrants submit telework activities, moderators approve them through a queue, and a public listing serves the approved ones.\n\nErrors are `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "MIT", identifier = "MIT")
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(schemas(Problem, ClaimedFilter, QueueSort, ApplicationStatus)),
    modifiers(&Security),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Registration, sign-in and tokens"),
        (name = "me", description = "The signed-in account"),
        (name = "reference", description = "Code lists with Japanese and English labels"),
        (name = "campaigns", description = "Telework Month editions"),
        (name = "activities", description = "A registrant's own activities"),
        (name = "sessions", description = "Event sessions of an activity and their applications, for the organizer"),
        (name = "moderation", description = "The approval queue"),
        (name = "admin", description = "Accounts, campaigns and the audit log"),
        (name = "public", description = "Approved activities for display")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The full document: metadata, every registered handler, and the problem responses every
/// operation can give.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let (_, mut spec) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(api::configure)
            .split_for_parts();
        add_common_responses(&mut spec);
        declare_public(&mut spec);
        refer_to_named_schemas(spec)
    })
}

/// The spec as the pretty JSON committed at `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut s = serde_json::to_string_pretty(spec()).expect("the spec serializes");
    s.push('\n');
    s
}

/// Adds the problem responses that follow from an operation's shape, so that each one is
/// documented without repeating it on every handler: 400 for parameters or bodies, 401 for
/// secured operations, 413/415 for bodies, 503 when the database is out of reach or time.
fn add_common_responses(spec: &mut Spec) {
    for item in spec.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if has_params || has_body {
                add(
                    op,
                    "400",
                    "Invalid parameters or body (`validation_failed`, `malformed_json`)",
                );
            }
            if secured {
                add(op, "401", "Missing, invalid, expired or revoked access token");
            }
            if has_body {
                add(op, "413", "Body larger than 64 KiB");
                add(op, "415", "Body is not application/json");
            }
            add(op, "500", "Unexpected server error (logged; generic body)");
            add(
                op,
                "503",
                "Database unreachable (`service_unavailable`) or out of the time budget (`statement_timeout`); retry after `Retry-After`",
            );
        }
    }
}

/// Operations that take no bearer token say so with `security: []`, so a reader (and a
/// linter) sees that they are public by design, not by omission.
fn declare_public(spec: &mut Spec) {
    for item in spec.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.security.get_or_insert_with(Vec::new);
        }
    }
}

/// utoipa inlines the type argument of a generic schema (`Page<QueueItem>` copies the whole
/// `QueueItem`); this puts a `$ref` back wherever a component's property holds, or lists, a
/// schema equal to another named component, so each type is one schema in every client.
fn refer_to_named_schemas(spec: Spec) -> Spec {
    let mut doc = serde_json::to_value(&spec).expect("the spec serializes");
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return spec;
    };
    let named: Vec<(String, Value)> = schemas.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (name, schema) in schemas.iter_mut() {
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for prop in props.values_mut() {
            let target = match prop.get_mut("items") {
                Some(items) => items,
                None => prop,
            };
            if let Some((other, _)) = named.iter().find(|(other, v)| other != name && v == target) {
                *target = serde_json::json!({ "$ref": format!("#/components/schemas/{other}") });
            }
        }
    }
    serde_json::from_value(doc).expect("the spec deserializes")
}

fn add(op: &mut Operation, status: &str, description: &str) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    op.responses.responses.insert(status.to_owned(), response.into());
}
