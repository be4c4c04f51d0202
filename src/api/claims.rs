//! Claims on queue items: a moderator takes an item for `CLAIM_TTL_SECS`, renews it by
//! claiming again, and releases it (or decides it). Claims never change the activity.

use crate::api::caller::Moderator;
use crate::api::extract::parse_id;
use crate::db::claims::Claim;
use crate::domain::clock::utc;
use crate::error::{ApiResult, Problem};
use crate::service::{self, claims};
use crate::state::State;
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A live claim.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimOut {
    #[schema(format = Uuid)]
    pub activity_id: String,
    /// The holder's display name.
    pub claimed_by: String,
    #[schema(format = Uuid)]
    pub claimed_by_id: String,
    /// Claim again before then to keep it.
    pub claim_expires_at: DateTime<Utc>,
}

impl From<Claim> for ClaimOut {
    fn from(c: Claim) -> Self {
        Self {
            activity_id: c.activity_id,
            claimed_by: c.moderator_name,
            claimed_by_id: c.moderator_id,
            claim_expires_at: utc(c.expires_at),
        }
    }
}

/// Claim a queue item (or renew your claim) for `CLAIM_TTL_SECS`. Other moderators see who
/// holds it; their decisions on it get 409 until it is released, decided or expired.
#[utoipa::path(
    operation_id = "moderation_claim_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = ClaimOut),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`claimed_by_other` (with `current`: who and until when), `claim_limit` (you hold `MAX_CLAIMS_PER_MODERATOR`) or `not_queued`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/claim")]
pub async fn claim(state: State, m: Moderator, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (ttl, max) = (state.config.claim_ttl, state.config.max_claims);
    let c = service::run(&state.pool, move |conn| claims::claim(conn, m.0, id, ttl, max)).await?;
    Ok(HttpResponse::Ok().json(ClaimOut::from(c)))
}

/// Release your claim on a queue item.
#[utoipa::path(
    operation_id = "moderation_release_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "Released"),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "You hold no claim on it", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/release")]
pub async fn release(state: State, m: Moderator, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    service::run(&state.pool, move |conn| claims::release(conn, m.0, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
