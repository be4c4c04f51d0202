//! Bulk decisions: approve, reject or unpublish up to 500 items in one request, each decided
//! on its own, under a required `Idempotency-Key`.

use crate::api::activity::step_error;
use crate::api::caller::Moderator;
use crate::api::extract::Json;
use crate::api::moderation_view::{moderation_view, ModerationActivity};
use crate::domain::codes::ReasonCode;
use crate::domain::text::{self, Lines};
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::bulk::{self, Item, Start, MAX_ITEMS};
use crate::service::{self};
use crate::state::State;
use actix_web::{post, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The header that makes a bulk request safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Items to decide, all with one action.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `approve`, `reject` or `unpublish`.
    #[schema(pattern = "^(approve|reject|unpublish)$")]
    pub action: String,
    /// 1–500 items, each with the version the moderator saw.
    #[schema(min_items = 1, max_items = 500)]
    pub items: Vec<BulkItem>,
    /// For reject and unpublish: a code from `GET /moderation/reasons`.
    #[schema(value_type = Option<ReasonCode>)]
    pub reason_code: Option<String>,
    /// For reject and unpublish: shown to every owner (1–1000 characters).
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkItem {
    #[schema(format = Uuid)]
    pub id: String,
    pub version: i64,
}

/// How one item went.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub id: String,
    /// 200 decided; 404 no such activity; 409 stale version, not allowed from its status or
    /// claimed by another moderator; 422 refused by a rule.
    pub status: u16,
    /// Why it was not decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// The activity as decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ModerationActivity>,
}

/// The answer: every item's result, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    pub decided: usize,
    pub failed: usize,
    pub results: Vec<BulkResult>,
}

fn action(raw: &str) -> Option<Action> {
    match raw {
        "approve" => Some(Action::Approve),
        "reject" => Some(Action::Reject),
        "unpublish" => Some(Action::Unpublish),
        _ => None,
    }
}

fn idempotency_key(req: &HttpRequest) -> ApiResult<String> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Err(ApiError::bad_request(
            "idempotency_key_required",
            "Send an Idempotency-Key header (a new random value, such as a UUID, per request).",
        ));
    };
    match raw.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(k.to_owned()),
        _ => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "The Idempotency-Key must be 1–255 visible ASCII characters.",
        )),
    }
}

/// Checks the request; returns the action, the reason (reject and unpublish) and the items.
fn validate(b: &BulkRequest) -> ApiResult<(Action, Option<(ReasonCode, String)>)> {
    let mut errors = Vec::new();
    let act = action(&b.action);
    if act.is_none() {
        errors.push(FieldError::new(
            "action",
            "invalid_choice",
            "must be approve, reject or unpublish",
        ));
    }
    if b.items.is_empty() || b.items.len() > MAX_ITEMS {
        errors.push(FieldError::new(
            "items",
            "out_of_range",
            format!("must hold 1 to {MAX_ITEMS} items"),
        ));
    }
    let needs_reason = act.is_some_and(|a| a != Action::Approve);
    let reason = match (&b.reason_code, &b.reason, needs_reason) {
        (None, None, false) => None,
        (_, _, false) => {
            errors.push(FieldError::new(
                "reason",
                "not_allowed",
                "only reject and unpublish take a reason",
            ));
            None
        }
        (code, reason, true) => {
            let code = code.as_deref().and_then(ReasonCode::parse);
            if code.is_none() {
                errors.push(FieldError::new(
                    "reason_code",
                    "invalid_choice",
                    "must be a code from GET /moderation/reasons",
                ));
            }
            let text = text::clean("reason", reason.as_deref().unwrap_or(""), 1000, Lines::Multi)
                .map_err(|e| errors.push(e))
                .ok();
            code.zip(text)
        }
    };
    match act {
        Some(a) if errors.is_empty() => Ok((a, reason)),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Decide many items at once. Each item is decided on its own, as its single-item route
/// would; the answer lists every item's result in order and is 200 even when some failed.
/// The same `Idempotency-Key` with the same body within 24 hours returns the stored answer
/// (`Idempotent-Replayed: true`) and decides nothing again.
#[utoipa::path(
    operation_id = "moderation_bulk_decide",
    tag = "moderation",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "A new random value (such as a UUID) per request; 1–255 visible ASCII characters")),
    request_body = BulkRequest,
    responses(
        (status = 200, body = BulkResponse, headers(("Idempotent-Replayed" = String, description = "`true` on a stored answer"))),
        (status = 400, description = "`validation_failed`, `idempotency_key_required` or `invalid_idempotency_key`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`: the key came with another body", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/bulk")]
pub async fn decide(state: State, m: Moderator, req: HttpRequest, body: Json<BulkRequest>) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let b = body.into_inner()?;
    let (act, reason) = validate(&b)?;
    let canonical = serde_json::to_string(&b).map_err(|e| ApiError::internal(e.to_string()))?;
    let hash = bulk::fingerprint(&canonical);
    let caller = m.0.id.clone();
    let (c, k) = (caller.clone(), key.clone());
    if let Start::Replay(stored) = service::run(&state.pool, move |conn| bulk::start(conn, &c, k, hash)).await? {
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("Idempotent-Replayed", "true"))
            .body(stored));
    }
    let items: Vec<Item> = b
        .items
        .into_iter()
        .map(|i| Item {
            id: i.id,
            version: i.version,
        })
        .collect();
    let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    let mailer = state.mailer.clone();
    let decided = service::run_spread(&state.pool, move |pool| {
        bulk::decide_all(pool, &mailer, &m.0, act, reason, items)
    })
    .await;
    state.public.invalidate();
    state.median_wait.forget();
    let decided = match decided {
        Ok(d) => d,
        Err(e) => {
            let (c, k) = (caller, key);
            let _ = service::run(&state.pool, move |conn| bulk::abandon(conn, c, k)).await;
            return Err(e);
        }
    };
    let mut results = Vec::with_capacity(ids.len());
    for (id, d) in ids.into_iter().zip(decided) {
        results.push(match d.map_err(step_error).and_then(moderation_view) {
            Ok(view) => BulkResult {
                id,
                status: 200,
                problem: None,
                activity: Some(view),
            },
            Err(e) => BulkResult {
                id,
                status: e.status(),
                problem: Some(e.problem()),
                activity: None,
            },
        });
    }
    let decided = results.iter().filter(|r| r.status == 200).count();
    let out = BulkResponse {
        decided,
        failed: results.len() - decided,
        results,
    };
    let text = serde_json::to_string(&out).map_err(|e| ApiError::internal(e.to_string()))?;
    let stored = text.clone();
    // The items are decided: answer even if the answer cannot be kept (a retry within
    // STALE_MINUTES then gets 409, later it runs again and finds every item decided).
    if let Err(e) = service::run(&state.pool, move |conn| bulk::finish(conn, caller, key, stored)).await {
        log::error!("bulk: the answer could not be kept under its key: {e}");
    }
    Ok(HttpResponse::Ok().content_type("application/json").body(text))
}
