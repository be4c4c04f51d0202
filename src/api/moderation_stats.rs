//! Queue statistics for moderators.

use crate::api::caller::Moderator;
use crate::domain::clock::utc;
use crate::error::{ApiResult, Problem};
use crate::service::{self, moderation};
use crate::state::State;
use actix_web::{get, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Decisions on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayDecisions {
    pub date: NaiveDate,
    /// Decisions by action (`approve`, `reject`, `unpublish`, `approve_revision`, `reject_revision`).
    pub by_action: BTreeMap<String, i64>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationStats {
    pub queue_length: i64,
    pub oldest_queued_at: Option<DateTime<Utc>>,
    pub oldest_wait_seconds: Option<i64>,
    pub median_wait_seconds: Option<i64>,
    /// The last 30 days, newest first; days without decisions are left out.
    pub decisions_per_day: Vec<DayDecisions>,
}

/// Queue length, oldest wait and decisions per day (UTC) over the last 30 days.
#[utoipa::path(
    operation_id = "moderation_get_stats",
    tag = "moderation",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ModerationStats),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/stats")]
pub async fn stats(state: State, _m: Moderator) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let s = service::run(&state.pool, move |conn| moderation::stats(conn, &st.median_wait)).await?;
    let out = ModerationStats {
        queue_length: s.queue_length,
        oldest_queued_at: s.oldest_queued_at.map(utc),
        oldest_wait_seconds: s.oldest_wait_seconds,
        median_wait_seconds: s.median_wait_seconds,
        decisions_per_day: s
            .decisions_per_day
            .into_iter()
            .rev()
            .map(|(date, by_action)| DayDecisions {
                date,
                total: by_action.values().sum(),
                by_action: by_action.into_iter().map(|(a, n)| (a.to_owned(), n)).collect(),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(out))
}
