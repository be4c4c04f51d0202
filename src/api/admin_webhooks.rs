//! Admin: webhooks for partner dashboards — subscriptions, secret rotation, delivery
//! attempts, replays and test events. Every change is audited.

use crate::api::caller::Admin;
use crate::api::extract::{parse_id, Json};
use crate::api::page::{self, Cursor, Listed, NoFilters, Page, PageParams, Paging};
use crate::api::webhook_view::{DeliveryAttempt, NewWebhookBody, Queued, WebhookOut, WebhookPatch, WebhookWithSecret};
use crate::domain::codes::EventType;
use crate::domain::text::{self, Lines};
use crate::domain::webhook as rules;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::webhooks::{self, NewWebhook, WebhookEdit};
use crate::service::{self};
use crate::state::State;
use actix_web::{delete, get, patch, post, web, HttpResponse};

fn description(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match raw.map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(d) => text::clean("description", d, 500, Lines::Multi)
            .map_err(|e| errors.push(e))
            .ok(),
    }
}

fn event_types(raw: Option<&[String]>, errors: &mut Vec<FieldError>) -> Option<Vec<EventType>> {
    rules::event_types(raw?).map_err(|e| errors.push(e)).ok()
}

/// Checks a URL off the async workers (it resolves the host).
async fn vet_url(state: &State, raw: String) -> ApiResult<String> {
    let config = state.config.webhooks;
    web::block(move || webhooks::vet_url(&raw, config)).await?
}

/// Every webhook, newest first. Secrets are never listed.
#[utoipa::path(
    operation_id = "admin_list_webhooks",
    tag = "admin",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, body = Page<WebhookOut>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/webhooks")]
pub async fn list(state: State, _admin: Admin, query: Listed<NoFilters>) -> ApiResult<HttpResponse> {
    let (_, Paging { limit, cursor }) = query.into_parts()?;
    let rows = service::run(&state.pool, move |conn| webhooks::list(conn, cursor.as_ref(), limit)).await?;
    let page = page::try_finish(
        rows,
        limit,
        |w| Cursor {
            at: w.created_at,
            id: w.id.clone(),
        },
        WebhookOut::new,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// Subscribe a URL to events. The answer carries the signing secret, shown this once.
#[utoipa::path(
    operation_id = "admin_create_webhook",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewWebhookBody,
    responses(
        (status = 201, body = WebhookWithSecret),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`url_not_allowed` (private or reserved address) or `url_unresolvable`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/webhooks")]
pub async fn create(state: State, admin: Admin, body: Json<NewWebhookBody>) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let mut errors = Vec::new();
    let types = event_types(Some(&b.event_types), &mut errors);
    let description = description(b.description.as_deref(), &mut errors);
    let (Some(types), true) = (types, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let url = vet_url(&state, b.url).await?;
    let new = NewWebhook {
        url,
        event_types: types,
        description: description.unwrap_or_default(),
        enabled: b.enabled.unwrap_or(true),
    };
    let row = service::run(&state.pool, move |conn| webhooks::create(conn, admin.0, new)).await?;
    Ok(HttpResponse::Created().json(WebhookWithSecret::new(row)?))
}

/// One webhook.
#[utoipa::path(
    operation_id = "admin_get_webhook",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = WebhookOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/webhooks/{id}")]
pub async fn get_one(state: State, _admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let row = service::run(&state.pool, move |conn| webhooks::find(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(WebhookOut::new(row)?))
}

/// Change a webhook's URL, events, description or whether it is enabled.
#[utoipa::path(
    operation_id = "admin_update_webhook",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = WebhookPatch,
    responses(
        (status = 200, body = WebhookOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`url_not_allowed` or `url_unresolvable`", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/admin/webhooks/{id}")]
pub async fn update(
    state: State,
    admin: Admin,
    path: web::Path<String>,
    body: Json<WebhookPatch>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let b = body.into_inner()?;
    let mut errors = Vec::new();
    let types = event_types(b.event_types.as_deref(), &mut errors);
    let description = description(b.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let url = match b.url {
        Some(raw) => Some(vet_url(&state, raw).await?),
        None => None,
    };
    let edit = WebhookEdit {
        url,
        event_types: types,
        description,
        enabled: b.enabled,
    };
    let version = b.version;
    let row = service::run(&state.pool, move |conn| {
        webhooks::update(conn, admin.0, id, version, edit).map_err(|e| {
            e.into_api(WebhookOut::new, |current| {
                format!(
                    "The webhook is at version {}, not {version}; reload it and try again.",
                    current.version
                )
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookOut::new(row)?))
}

/// Delete a webhook; its undelivered events are dropped.
#[utoipa::path(
    operation_id = "admin_delete_webhook",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/admin/webhooks/{id}")]
pub async fn remove(state: State, admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    service::run(&state.pool, move |conn| webhooks::delete(conn, admin.0, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a webhook a new signing secret, shown this once. For 24 hours deliveries carry a
/// signature by the old secret too, so the receiver can switch without missing events.
#[utoipa::path(
    operation_id = "admin_rotate_webhook_secret",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = WebhookWithSecret),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(state: State, admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let row = service::run(&state.pool, move |conn| webhooks::rotate_secret(conn, admin.0, id)).await?;
    Ok(HttpResponse::Ok().json(WebhookWithSecret::new(row)?))
}

/// A webhook's delivery attempts, newest first.
#[utoipa::path(
    operation_id = "admin_list_webhook_deliveries",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams),
    responses(
        (status = 200, body = Page<DeliveryAttempt>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: State,
    _admin: Admin,
    path: web::Path<String>,
    query: Listed<NoFilters>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (_, Paging { limit, cursor }) = query.into_parts()?;
    let rows = service::run(&state.pool, move |conn| {
        webhooks::deliveries(conn, &id, cursor.as_ref(), limit)
    })
    .await?;
    let page = page::try_finish(
        rows,
        limit,
        |(a, ..)| Cursor {
            at: a.attempted_at,
            id: a.id.clone(),
        },
        DeliveryAttempt::new,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// Send an event again, now, under the same `webhook-id` (receivers treat it as a repeat).
#[utoipa::path(
    operation_id = "admin_replay_webhook_delivery",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("delivery_id" = String, Path, format = Uuid)),
    responses(
        (status = 202, body = Queued),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook or event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`delivery_in_progress`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/webhooks/{id}/deliveries/{delivery_id}/replay")]
pub async fn replay(state: State, admin: Admin, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (raw_id, raw_delivery) = path.into_inner();
    let id = parse_id("id", &raw_id)?;
    let delivery_id = parse_id("delivery_id", &raw_delivery)?;
    let d = delivery_id.clone();
    let message_id = service::run(&state.pool, move |conn| webhooks::replay(conn, admin.0, id, d)).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        delivery_id,
        message_id,
    }))
}

/// Send a `webhook.test` event to an enabled webhook.
#[utoipa::path(
    operation_id = "admin_test_webhook",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 202, body = Queued),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`webhook_disabled`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/webhooks/{id}/test")]
pub async fn test(state: State, admin: Admin, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (delivery_id, message_id) = service::run(&state.pool, move |conn| webhooks::test(conn, admin.0, id)).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        delivery_id,
        message_id,
    }))
}
