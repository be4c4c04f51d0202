//! Campaigns (Telework Month editions): public list, admin create and update.

use crate::api::caller::Admin;
use crate::api::extract::Json;
use crate::api::page::Page;
use crate::db::campaigns::CampaignRow;
use crate::domain::clock::{self, new_id, now, utc};
use crate::domain::text::{self, Lines};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service;
use crate::service::campaigns::{self as campaign_service, CampaignChanges};
use crate::state::State;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignOut {
    pub slug: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub registration_opens_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    /// Whether submissions are accepted now.
    pub registration_open: bool,
    /// Send this back with an update.
    pub version: i64,
}

impl From<CampaignRow> for CampaignOut {
    fn from(c: CampaignRow) -> Self {
        Self {
            registration_open: c.is_open_at(now()),
            slug: c.slug,
            title: c.title,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            registration_opens_at: utc(c.registration_opens_at),
            registration_closes_at: utc(c.registration_closes_at),
            version: c.version,
        }
    }
}

/// Every campaign, newest first.
#[utoipa::path(
    operation_id = "list_campaigns",tag = "campaigns", responses((status = 200, body = Page<CampaignOut>)))]
#[get("/campaigns")]
pub async fn list(state: State) -> ApiResult<HttpResponse> {
    let rows = service::run(&state.pool, campaign_service::all).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(Page {
            items: rows.into_iter().map(CampaignOut::from).collect::<Vec<_>>(),
            next_cursor: None,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Lower-case letters, digits and hyphens, e.g. `2026`.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,39}$")]
    pub slug: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub registration_opens_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// The version the client saw; a stale one is a 409 `version_conflict`.
    pub version: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
}

fn valid_slug(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Checks a campaign's fields together.
fn validate(c: &mut CampaignRow) -> ApiResult<()> {
    let mut errors = Vec::new();
    if !valid_slug(&c.slug) {
        errors.push(FieldError::new(
            "slug",
            "invalid_format",
            "must be 1–40 lower-case letters, digits or hyphens",
        ));
    }
    match text::clean("title", &c.title, 200, Lines::Single) {
        Ok(t) => c.title = t,
        Err(e) => errors.push(e),
    }
    let years = [
        ("starts_on", clock::in_years(&c.starts_on)),
        ("ends_on", clock::in_years(&c.ends_on)),
        ("registration_opens_at", clock::in_years(&c.registration_opens_at)),
        ("registration_closes_at", clock::in_years(&c.registration_closes_at)),
    ];
    for (field, ok) in years {
        if !ok {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                "must fall in the years 2000–2999",
            ));
        }
    }
    if c.ends_on < c.starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "before_start",
            "must be on or after starts_on",
        ));
    }
    if c.registration_closes_at <= c.registration_opens_at {
        errors.push(FieldError::new(
            "registration_closes_at",
            "before_start",
            "must be after registration_opens_at",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Create a campaign.
#[utoipa::path(
    operation_id = "admin_create_campaign",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewCampaign,
    responses(
        (status = 201, body = CampaignOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/admin/campaigns")]
pub async fn create(state: State, admin: Admin, body: Json<NewCampaign>) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let at = now();
    let mut row = CampaignRow {
        id: new_id(),
        slug: b.slug.trim().to_owned(),
        title: b.title,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        registration_opens_at: b.registration_opens_at.naive_utc(),
        registration_closes_at: b.registration_closes_at.naive_utc(),
        created_at: at,
        updated_at: at,
        version: 1,
    };
    validate(&mut row)?;
    let row = service::run(&state.pool, move |conn| campaign_service::create(conn, row, &admin.0)).await?;
    Ok(HttpResponse::Created().json(CampaignOut::from(row)))
}

/// Update a campaign's title, dates or registration window.
#[utoipa::path(
    operation_id = "admin_update_campaign",
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = CampaignPatch,
    responses(
        (status = 200, body = CampaignOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`version_conflict` (with `current`)", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/admin/campaigns/{slug}")]
pub async fn update(
    state: State,
    admin: Admin,
    path: web::Path<String>,
    body: Json<CampaignPatch>,
) -> ApiResult<HttpResponse> {
    let slug = path.into_inner();
    let b = body.into_inner()?;
    let changes = CampaignChanges {
        title: b.title,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        registration_opens_at: b.registration_opens_at.map(|t| t.naive_utc()),
        registration_closes_at: b.registration_closes_at.map(|t| t.naive_utc()),
    };
    let row = service::run(&state.pool, move |conn| {
        campaign_service::update(conn, &slug, b.version, changes, &admin.0, validate).map_err(|e| {
            e.into_api(
                |row| Ok(CampaignOut::from(row)),
                |current| {
                    format!(
                        "The campaign is at version {}, not {}; reload it and try again.",
                        current.version, b.version
                    )
                },
            )
        })
    })
    .await?;
    state.public.invalidate();
    Ok(HttpResponse::Ok().json(CampaignOut::from(row)))
}
