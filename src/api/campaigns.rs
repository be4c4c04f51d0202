//! Campaigns (Telework Month editions): public list, admin create and update.

use crate::api::extract::Json;
use crate::api::page::Page;
use crate::auth::Admin;
use crate::db::campaigns::{self, CampaignRow};
use crate::db::{self, new_id, now, utc};
use crate::domain::text::{self, Lines};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
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
        }
    }
}

/// Every campaign, newest first.
#[utoipa::path(tag = "campaigns", responses((status = 200, body = Page<CampaignOut>)))]
#[get("/campaigns")]
pub async fn list(state: State) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, |conn| campaigns::all(conn)).await?;
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
pub async fn create(state: State, _admin: Admin, body: Json<NewCampaign>) -> ApiResult<HttpResponse> {
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
    };
    validate(&mut row)?;
    let saved = row.clone();
    db::run(&state.pool, move |conn| {
        db::transaction(conn, move |conn| campaigns::insert(conn, &saved))
    })
    .await?;
    Ok(HttpResponse::Created().json(CampaignOut::from(row)))
}

/// Update a campaign's title, dates or registration window.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = CampaignPatch,
    responses(
        (status = 200, body = CampaignOut),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/admin/campaigns/{slug}")]
pub async fn update(
    state: State,
    _admin: Admin,
    path: web::Path<String>,
    body: Json<CampaignPatch>,
) -> ApiResult<HttpResponse> {
    let slug = path.into_inner();
    let b = body.into_inner()?;
    let row = db::run(&state.pool, move |conn| {
        let mut row = campaigns::by_slug(conn, &slug)?;
        if let Some(t) = b.title {
            row.title = t;
        }
        if let Some(d) = b.starts_on {
            row.starts_on = d;
        }
        if let Some(d) = b.ends_on {
            row.ends_on = d;
        }
        if let Some(t) = b.registration_opens_at {
            row.registration_opens_at = t.naive_utc();
        }
        if let Some(t) = b.registration_closes_at {
            row.registration_closes_at = t.naive_utc();
        }
        row.updated_at = now();
        validate(&mut row)?;
        db::transaction(conn, move |conn| {
            campaigns::save(conn, &row)?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(CampaignOut::from(row)))
}
