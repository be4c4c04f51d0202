//! The approval queue: pending submissions and revisions, the moderator's full view with
//! the owner's contact data, decisions, the reason catalogue and queue statistics.

use crate::api::activity::{step_error, ActivityOut, VersionBody};
use crate::api::caller::Moderator;
use crate::api::extract::{parse_id, Json, Query};
use crate::api::page::{self, Cursor, Page};
use crate::db::activities::{self, QueueFilter, WithSlug};
use crate::db::{accounts, campaigns, now, utc, DbConn};
use crate::domain::activity::category_bit;
use crate::domain::codes::{Kind, ReasonCode};
use crate::domain::text::{self, Lines};
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service;
use crate::service::workflow::{self, Outcome, Step};
use crate::state::State;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The owner of an activity, with private contact data (moderators only).
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerContact {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    pub kind: Option<Kind>,
    pub display_name: String,
    pub legal_name: Option<String>,
    pub corporate_number: Option<String>,
    pub industry: Option<String>,
    pub prefecture: Option<String>,
    pub website: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
}

/// An activity as a moderator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationActivity {
    #[serde(flatten)]
    pub activity: ActivityOut,
    pub owner: OwnerContact,
}

/// One changed field of a revision.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub old: Value,
    #[schema(value_type = Object)]
    pub new: Value,
}

/// One item of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// `submission` (a pending activity) or `revision` (an edit of an approved one).
    pub kind: &'static str,
    pub queued_at: DateTime<Utc>,
    pub waiting_seconds: i64,
    /// For a revision: the fields it changes, old → new.
    pub changes: Vec<FieldChange>,
    pub activity: ModerationActivity,
}

fn moderation_view(conn: &mut DbConn, item: WithSlug) -> ApiResult<ModerationActivity> {
    let owner = accounts::find(conn, &item.0.account_id)?;
    with_owner(item, owner)
}

fn with_owner(item: WithSlug, owner: accounts::AccountRow) -> ApiResult<ModerationActivity> {
    Ok(ModerationActivity {
        activity: ActivityOut::new(item)?,
        owner: OwnerContact {
            kind: owner.kind()?,
            id: owner.id,
            email: owner.email,
            display_name: owner.display_name,
            legal_name: owner.legal_name,
            corporate_number: owner.corporate_number,
            industry: owner.industry,
            prefecture: owner.prefecture,
            website: owner.website,
            contact_name: owner.contact_name,
            phone: owner.phone,
        },
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Campaign slug.
    pub campaign: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// `organization` or `individual`.
    pub kind: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Pending activities and pending revisions, oldest first.
#[utoipa::path(
    operation_id = "moderation_list_queue",
    tag = "moderation",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, body = Page<QueueItem>),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/queue")]
pub async fn queue(state: State, _m: Moderator, query: Query<QueueQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner()?;
    let mut errors = Vec::new();
    let category_bit = q.category.as_deref().map(|c| {
        category_bit(c).unwrap_or_else(|| {
            errors.push(FieldError::new("category", "invalid_choice", "is not a category code"));
            0
        })
    });
    let kind = q.kind.as_deref().and_then(|k| {
        let kind = Kind::parse(k);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "invalid_choice",
                "must be organization or individual",
            ));
        }
        kind
    });
    let paging =
        page::params(q.limit.as_deref(), q.cursor.as_deref()).map_err(|e| errors.extend(e.errors().iter().cloned()));
    let (Ok((limit, cursor)), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let at = now();
    let items = service::run(&state.pool, move |conn| {
        let campaign_id = match &q.campaign {
            Some(slug) => Some(
                campaigns::by_slug(conn, slug)?
                    .ok_or_else(|| {
                        ApiError::field("campaign", "unknown_campaign", format!("there is no campaign `{slug}`"))
                    })?
                    .id,
            ),
            None => None,
        };
        let filter = QueueFilter {
            campaign_id,
            category_bit,
            kind,
        };
        let rows = activities::queue(conn, &filter, cursor.as_ref(), limit)?;
        let page = page::finish(
            rows,
            limit,
            |(a, _)| Cursor {
                at: a.queued_at.unwrap_or(a.updated_at),
                id: a.id.clone(),
            },
            |item| item,
        );
        let owner_ids: Vec<&str> = page.items.iter().map(|(a, _)| a.account_id.as_str()).collect();
        let owners = accounts::find_many(conn, &owner_ids)?;
        let mut items = Vec::with_capacity(page.items.len());
        for item in page.items {
            let queued_at = item.0.queued_at.unwrap_or(item.0.updated_at);
            let changes = item
                .0
                .revision()?
                .map(|r| {
                    r.changes_from(&item.0.text())
                        .into_iter()
                        .map(|(field, old, new)| FieldChange { field, old, new })
                        .collect()
                })
                .unwrap_or_default();
            let kind = if item.0.pending_revision.is_some() {
                "revision"
            } else {
                "submission"
            };
            items.push(QueueItem {
                kind,
                queued_at: utc(queued_at),
                waiting_seconds: (at - queued_at).num_seconds().max(0),
                changes,
                activity: match owners.get(&item.0.account_id) {
                    Some(owner) => with_owner(item, owner.clone())?,
                    None => return Err(ApiError::internal("a queued activity has no owner")),
                },
            });
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Any activity, with its owner's contact data.
#[utoipa::path(
    operation_id = "moderation_get_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = ModerationActivity),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/moderation/activities/{id}")]
pub async fn get_one(state: State, _m: Moderator, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let out = service::run(&state.pool, move |conn| {
        let item = activities::find(conn, &id)?;
        moderation_view(conn, item)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
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
}

impl ReasonBody {
    fn validate(self) -> ApiResult<(i64, (ReasonCode, String))> {
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

fn moderation_json(item: WithSlug) -> Value {
    ActivityOut::new(item)
        .ok()
        .and_then(|out| serde_json::to_value(out).ok())
        .unwrap_or_default()
}

async fn decide(state: &State, m: Moderator, id: String, step: Step) -> ApiResult<HttpResponse> {
    let mailer = state.mailer.clone();
    let out = service::run(&state.pool, move |conn| {
        let item = activities::find(conn, &id)?;
        match workflow::perform(conn, item, &m.0, step, &mailer).map_err(|e| step_error(e, moderation_json))? {
            Outcome::Updated(item) => moderation_view(conn, *item),
            Outcome::Deleted => Err(ApiError::internal("a moderation step deleted an activity")),
        }
    })
    .await?;
    state.public.invalidate();
    // This process's median wait now misses a decision.
    state.median_wait.forget();
    Ok(HttpResponse::Ok().json(out))
}

/// Approve a pending activity (it becomes public), or an approved activity's pending
/// revision (it replaces the public text).
#[utoipa::path(
    operation_id = "moderation_approve_activity",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = VersionBody,
    responses(
        (status = 200, body = ModerationActivity),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`) or `invalid_transition`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/moderation/activities/{id}/approve")]
pub async fn approve(
    state: State,
    m: Moderator,
    path: web::Path<String>,
    body: Json<VersionBody>,
) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let step = Step {
        action: Action::Approve,
        version: body.into_inner()?.version,
        reason: None,
        edit: None,
    };
    decide(&state, m, id, step).await
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
        (status = 409, description = "`version_conflict` (with `current`) or `invalid_transition`", body = Problem, content_type = "application/problem+json")
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
    let (version, reason) = body.into_inner()?.validate()?;
    let step = Step {
        action: Action::Reject,
        version,
        reason: Some(reason),
        edit: None,
    };
    decide(&state, m, id, step).await
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
        (status = 409, description = "`version_conflict` (with `current`) or `invalid_transition`", body = Problem, content_type = "application/problem+json")
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
    let (version, reason) = body.into_inner()?.validate()?;
    let step = Step {
        action: Action::Unpublish,
        version,
        reason: Some(reason),
        edit: None,
    };
    decide(&state, m, id, step).await
}
