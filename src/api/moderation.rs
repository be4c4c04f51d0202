//! The approval queue: pending submissions and revisions, the moderator's full view with
//! the owner's contact data, decisions, the reason catalogue and queue statistics.

use crate::api::activity::step_error;
use crate::api::caller::Moderator;
use crate::api::extract::{parse_id, Json};
use crate::api::moderation_view::{
    moderation_view, possible_duplicates, FieldChange, ModerationActivity, ModerationDetail, QueueItem, QueueItemKind,
};
use crate::api::page::{Listed, Page, PageParams, Paging};
use crate::domain::activity::category_bit;
use crate::domain::clock::utc;
use crate::domain::codes::{Category, ClaimedFilter, Kind, QueueSort, ReasonCode};
use crate::domain::reference;
use crate::domain::text::{self, Lines};
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::moderation::{self, QueueQuery as Filters};
use crate::service::{self, workflow::Step};
use crate::state::State;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Campaign slug.
    pub campaign: Option<String>,
    /// Category code.
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    /// `organization` or `individual`.
    #[param(value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// `mine`, `others` or `none`: items by their live claims.
    #[param(value_type = Option<ClaimedFilter>)]
    pub claimed: Option<String>,
    /// JIS X 0401 code "01"–"47".
    pub prefecture: Option<String>,
    /// `true`: only revisions of approved activities; `false`: only first submissions.
    #[param(value_type = Option<bool>)]
    pub has_revision: Option<String>,
    /// `oldest` (default) or `newest` first, or `campaign`: by campaign slug, the longest
    /// waiting first within each.
    #[param(value_type = Option<QueueSort>)]
    pub sort: Option<String>,
    /// `true`: only items with a possible duplicate (see `possible_duplicates`).
    #[param(value_type = Option<bool>)]
    pub duplicates: Option<String>,
}

/// Pending activities and pending revisions, oldest first (or `sort=newest`).
#[utoipa::path(
    operation_id = "moderation_list_queue",
    tag = "moderation",
    security(("bearer" = [])),
    params(QueueQuery, PageParams),
    responses(
        (status = 200, body = Page<QueueItem>),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/queue")]
pub async fn queue(state: State, m: Moderator, query: Listed<QueueQuery>) -> ApiResult<HttpResponse> {
    let (q, paging) = query.split();
    let q = q?;
    let mut errors = Vec::new();
    let category_bit = q.category.as_deref().map(|c| {
        category_bit(c).unwrap_or_else(|| {
            errors.push(FieldError::new("category", "invalid_choice", "is not a category code"));
            0
        })
    });
    let kind = Kind::parse_field("kind", q.kind.as_deref(), &mut errors);
    let claimed = ClaimedFilter::parse_field("claimed", q.claimed.as_deref(), &mut errors);
    let sort = QueueSort::parse_field("sort", q.sort.as_deref(), &mut errors).unwrap_or(QueueSort::Oldest);
    if q.prefecture.as_deref().is_some_and(|p| !reference::is_prefecture(p)) {
        errors.push(FieldError::new(
            "prefecture",
            "invalid_choice",
            "must be a JIS X 0401 code 01-47",
        ));
    }
    let has_revision = flag("has_revision", q.has_revision.as_deref(), &mut errors);
    let duplicates = flag("duplicates", q.duplicates.as_deref(), &mut errors) == Some(true);
    let paging = paging.map_err(|e| errors.extend(e));
    let (Ok(Paging { limit, cursor }), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let filters = Filters {
        campaign: q.campaign,
        category_bit,
        kind,
        claimed,
        moderator_id: m.0.id.clone(),
        prefecture: q.prefecture,
        has_revision,
        sort,
        duplicates,
    };
    let page = service::run(&state.pool, move |conn| {
        moderation::queue(conn, filters, cursor.as_ref(), limit)
    })
    .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for q in page.items {
        items.push(QueueItem {
            kind: if q.revision {
                QueueItemKind::Revision
            } else {
                QueueItemKind::Submission
            },
            queued_at: utc(q.queued_at),
            waiting_seconds: q.waiting_seconds,
            changes: q
                .changes
                .into_iter()
                .map(|(field, old, new)| FieldChange { field, old, new })
                .collect(),
            claimed_by: q.claim.as_ref().map(|c| c.moderator_name.clone()),
            claim_expires_at: q.claim.as_ref().map(|c| utc(c.expires_at)),
            possible_duplicates: possible_duplicates(q.duplicates),
            activity: moderation_view(q.activity)?,
        });
    }
    let items = Page {
        items,
        next_cursor: page.next_cursor,
    };
    Ok(HttpResponse::Ok().json(items))
}

/// Any activity, with its owner's contact data.
#[utoipa::path(
    operation_id = "moderation_get_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = ModerationDetail),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/activities/{id}")]
pub async fn get_one(state: State, _m: Moderator, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let (item, found) = service::run(&state.pool, move |conn| moderation::view(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(ModerationDetail {
        view: moderation_view(item)?,
        possible_duplicates: possible_duplicates(found),
    }))
}

/// A `true`/`false` query parameter.
fn flag(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match raw {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(FieldError::new(name, "invalid_choice", "must be true or false"));
            None
        }
    }
}

/// A reason from the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub code: ReasonCode,
    pub name_ja: &'static str,
    pub name_en: &'static str,
}

/// The reason catalogue for `reject` and `unpublish`.
#[utoipa::path(
    operation_id = "moderation_list_reasons",
    tag = "moderation",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ReasonOut>),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/reasons")]
pub async fn reasons(_m: Moderator) -> HttpResponse {
    HttpResponse::Ok().json(Page {
        items: ReasonCode::ALL
            .iter()
            .map(|&code| {
                let (name_ja, name_en) = code.labels();
                ReasonOut { code, name_ja, name_en }
            })
            .collect::<Vec<_>>(),
        next_cursor: None,
    })
}

/// A refusal: the version seen, a reason code and a text the owner reads.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub version: i64,
    /// A code from `GET /moderation/reasons`.
    #[schema(value_type = ReasonCode)]
    pub reason_code: String,
    /// Shown to the owner (1–1000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// Admins only: decide although another moderator holds a claim (audited).
    pub override_claim: Option<bool>,
}

/// An approval: the version seen.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    pub version: i64,
    /// Admins only: decide although another moderator holds a claim (audited).
    pub override_claim: Option<bool>,
}

impl ReasonBody {
    fn validate(&self) -> ApiResult<(i64, (ReasonCode, String))> {
        let mut errors = Vec::new();
        let code = ReasonCode::parse(&self.reason_code);
        if code.is_none() {
            errors.push(FieldError::new(
                "reason_code",
                "invalid_choice",
                "must be a code from GET /moderation/reasons",
            ));
        }
        let reason = text::clean("reason", &self.reason, 1000, Lines::Multi)
            .map_err(|e| errors.push(e))
            .ok();
        match (code, reason) {
            (Some(code), Some(reason)) if errors.is_empty() => Ok((self.version, (code, reason))),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

async fn decide(state: &State, m: Moderator, id: String, step: Step, override_claim: bool) -> ApiResult<HttpResponse> {
    let mailer = state.mailer.clone();
    let out = service::run(&state.pool, move |conn| {
        Ok(moderation::decide(conn, &mailer, &m.0, &id, step, override_claim))
    })
    .await
    .and_then(|done| done.map_err(step_error))
    .and_then(moderation_view);
    // Also when the decision committed and its view then failed.
    state.public.invalidate();
    // This process's median wait now misses a decision.
    state.median_wait.forget();
    Ok(HttpResponse::Ok().json(out?))
}

/// Approve a pending activity (it becomes public), or an approved activity's pending
/// revision (it replaces the public text).
#[utoipa::path(
    operation_id = "moderation_approve_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = ApproveBody,
    responses(
        (status = 200, body = ModerationActivity),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`), `invalid_transition` or `claimed_by_other` (with `current`: who and until when)", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/approve")]
pub async fn approve(
    state: State,
    m: Moderator,
    path: web::Path<String>,
    body: Json<ApproveBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let b = body.into_inner()?;
    let step = Step {
        action: Action::Approve,
        version: b.version,
        reason: None,
        edit: None,
    };
    decide(&state, m, id, step, b.override_claim.unwrap_or(false)).await
}

/// Reject a pending activity, or an approved activity's pending revision (the public text
/// stays); the owner sees the reason.
#[utoipa::path(
    operation_id = "moderation_reject_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = ReasonBody,
    responses(
        (status = 200, body = ModerationActivity),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`), `invalid_transition` or `claimed_by_other` (with `current`: who and until when)", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/reject")]
pub async fn reject(
    state: State,
    m: Moderator,
    path: web::Path<String>,
    body: Json<ReasonBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let b = body.into_inner()?;
    let (version, reason) = b.validate()?;
    let step = Step {
        action: Action::Reject,
        version,
        reason: Some(reason),
        edit: None,
    };
    decide(&state, m, id, step, b.override_claim.unwrap_or(false)).await
}

/// Take an approved activity off the public listing (it becomes `suspended`).
#[utoipa::path(
    operation_id = "moderation_unpublish_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = ReasonBody,
    responses(
        (status = 200, body = ModerationActivity),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`), `invalid_transition` or `claimed_by_other` (with `current`: who and until when)", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/unpublish")]
pub async fn unpublish(
    state: State,
    m: Moderator,
    path: web::Path<String>,
    body: Json<ReasonBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let b = body.into_inner()?;
    let (version, reason) = b.validate()?;
    let step = Step {
        action: Action::Unpublish,
        version,
        reason: Some(reason),
        edit: None,
    };
    decide(&state, m, id, step, b.override_claim.unwrap_or(false)).await
}
