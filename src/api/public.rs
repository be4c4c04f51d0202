//! Public endpoints: approved activities only, in the public view and nothing else.
//! Responses carry an ETag derived from the data generation, so a matching `If-None-Match`
//! is answered with 304 without running the query; bodies are cached per generation.

use crate::api::atom;
use crate::api::extract::{parse_id, Query};
use crate::api::page::{Listed, PageParams, Paging};
use crate::cache::etag;
use crate::db::public::PublicFilter;
use crate::domain::activity::category_bit;
use crate::domain::codes::{ActivityFormat, Category, Kind, StatsDimension};
use crate::domain::event::tokyo_midnight;
use crate::domain::{clock, reference, text};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::public::{self, json_bytes, Listing, PublicActivity, PublicPage, PublicStats};
use crate::state::State;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use std::future::Future;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Campaign slug.
    pub campaign: Option<String>,
    /// Category code; repeat for "any of".
    #[serde(default)]
    #[param(value_type = Option<Vec<Category>>, explode = true)]
    pub category: Vec<String>,
    /// JIS X 0401 code "01"–"47".
    #[param(pattern = "^(0[1-9]|[1-3][0-9]|4[0-7])$")]
    pub prefecture: Option<String>,
    /// `organization` or `individual`.
    #[param(value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// `online`, `onsite` or `hybrid`.
    #[param(value_type = Option<ActivityFormat>)]
    pub format: Option<String>,
    /// Substring of title, description or organizer name; ignores full-/half-width and case.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// `true`: only activities with a session taking applications now (open or waitlist).
    #[param(value_type = Option<bool>)]
    pub has_open_sessions: Option<String>,
    /// Only activities with a session starting on or after this date (Asia/Tokyo).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Only activities with a session starting on or before this date (Asia/Tokyo).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// Session start times from and until (either open), in UTC.
type DateRange = (Option<NaiveDateTime>, Option<NaiveDateTime>);

/// The session filters of the listing: `has_open_sessions` and the date range.
fn session_filters(q: &PublicQuery, errors: &mut Vec<FieldError>) -> (bool, Option<DateRange>) {
    let open = match q.has_open_sessions.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::new(
                "has_open_sessions",
                "invalid_boolean",
                "must be true or false",
            ));
            false
        }
    };
    let mut date = |field: &str, raw: Option<&str>| {
        raw.and_then(|r| match NaiveDate::parse_from_str(r.trim(), "%Y-%m-%d") {
            Ok(d) if clock::in_years(&d) => Some(d),
            _ => {
                errors.push(FieldError::new(field, "invalid_date", "must be a date YYYY-MM-DD"));
                None
            }
        })
    };
    let (from, to) = (date("from", q.from.as_deref()), date("to", q.to.as_deref()));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(FieldError::new("to", "before_from", "must not be before from"));
        }
    }
    let between = (from.is_some() || to.is_some()).then(|| {
        (
            from.map(tokyo_midnight),
            to.and_then(|t| t.succ_opt()).map(tokyo_midnight),
        )
    });
    (open, between)
}

fn validate(q: PublicQuery, paging: Result<Paging, Vec<FieldError>>) -> ApiResult<Listing> {
    let mut errors = Vec::new();
    let mut bits = 0;
    for (i, c) in q.category.iter().enumerate() {
        match category_bit(c) {
            Some(b) => bits |= b,
            None => errors.push(FieldError::new(
                if q.category.len() == 1 {
                    "category".to_owned()
                } else {
                    format!("category[{i}]")
                },
                "invalid_choice",
                format!("`{c}` is not one of try_practice, learn_discuss, support_cooperate"),
            )),
        }
    }
    if q.prefecture.as_deref().is_some_and(|p| !reference::is_prefecture(p)) {
        errors.push(FieldError::new(
            "prefecture",
            "invalid_choice",
            "must be a JIS X 0401 code from \"01\" to \"47\"",
        ));
    }
    let kind = Kind::parse_field("kind", q.kind.as_deref(), &mut errors);
    if q.format.as_deref().is_some_and(|f| !reference::is_format(f)) {
        errors.push(FieldError::new(
            "format",
            "invalid_choice",
            "must be online, onsite or hybrid",
        ));
    }
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(text::search_form);
    if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        errors.push(FieldError::new("q", "too_long", "must be at most 100 characters"));
    }
    if search.as_ref().is_some_and(|s| s.chars().any(char::is_control)) {
        errors.push(FieldError::new(
            "q",
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    let (open_sessions, sessions_between) = session_filters(&q, &mut errors);
    let paging = paging.map_err(|e| errors.extend(e));
    let (Ok(Paging { limit, cursor }), true) = (paging, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    Ok(Listing {
        filter: PublicFilter {
            campaign_id: None,
            category_bits: (bits != 0).then_some(bits),
            prefecture: q.prefecture,
            kind,
            format: q.format,
            q: search,
            open_sessions_at: open_sessions.then(crate::domain::clock::now),
            sessions_between,
        },
        campaign: q.campaign,
        limit,
        cursor,
    })
}

/// Serves a public response through the generation cache: 304 on a matching
/// `If-None-Match`, cached bytes when this generation already made them, else `make`.
async fn cached<F, Fut>(
    state: &State,
    req: &HttpRequest,
    content_type: &'static str,
    make: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = ApiResult<Bytes>>,
{
    served(state, req, content_type, true, make).await
}

/// [`cached`], or with `keep` false only the ETag and 304 part: for bodies `make` builds
/// from a cache of its own without a query (a filter's first page, sliced to the `limit`),
/// where keeping every slice as well only copies memory. Measured on the random filtered
/// scenario at 100k rows: 0.243 of /healthz with every slice kept, 0.321 without.
async fn served<F, Fut>(
    state: &State,
    req: &HttpRequest,
    content_type: &'static str,
    keep: bool,
    make: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = ApiResult<Bytes>>,
{
    let key = format!("{}?{}", req.path(), req.query_string());
    let generation = state.public.generation(&state.pool).await?;
    let tag = etag(generation, &key);
    let respond = |mut res: actix_web::HttpResponseBuilder, tag: &str| {
        res.insert_header((ETAG, tag.to_owned()))
            .insert_header((CACHE_CONTROL, "public, max-age=0, must-revalidate"));
        res
    };
    if crate::cache::none_match(req, &tag, false) {
        return Ok(respond(HttpResponse::NotModified(), &tag).finish());
    }
    // `If-None-Match: *` holds only for something that exists: the body is made first, so
    // an unknown id or campaign is still its 404 or 400.
    let any = crate::cache::none_match(req, &tag, true);
    let ok = |body: Bytes| {
        if any {
            return respond(HttpResponse::NotModified(), &tag).finish();
        }
        respond(HttpResponse::Ok(), &tag)
            .insert_header((CONTENT_TYPE, content_type))
            .body(body)
    };
    if !keep {
        return Ok(ok(make(generation).await?));
    }
    let public = &state.public;
    let body = public
        .making
        .run(
            &format!("{generation} {key}"),
            || public.get(&key, generation).map(|hit| hit.body.clone()),
            || async {
                let body = make(generation).await?;
                Ok(public.put(key.clone(), generation, tag.clone(), body).body.clone())
            },
        )
        .await?;
    Ok(ok(body))
}

/// Approved activities, newest approval first, with filters, search and `total`.
#[utoipa::path(
    operation_id = "public_list_activities",
    tag = "public",
    params(PublicQuery, PageParams),
    responses(
        (status = 200, body = PublicPage, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified")
    )
)]
#[get("/public/activities")]
pub async fn list(state: State, req: HttpRequest, query: Listed<PublicQuery>) -> ApiResult<HttpResponse> {
    let (q, paging) = query.split();
    let listing = validate(q?, paging)?;
    // Page 1 of the whole listing is one body; other first pages are slices of their
    // filter's first page; later pages are read from the database.
    let keep = listing.cursor.is_some() || req.query_string().is_empty();
    let st = state.clone();
    served(&state, &req, "application/json", keep, |generation| async move {
        public::page(&st.pool, &st.public, listing, generation).await
    })
    .await
}

/// One approved activity (404 for anything not approved).
#[utoipa::path(
    operation_id = "public_get_activity",
    tag = "public",
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = PublicActivity, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No approved activity with this id", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/public/activities/{id}")]
pub async fn get_one(state: State, req: HttpRequest, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id("id", &path)?;
    let pool = state.pool.clone();
    cached(&state, &req, "application/json", |_| async move {
        json_bytes(&public::activity(&pool, id).await?)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Two of `category`, `kind`, `prefecture`, `industry`, comma-separated (e.g.
    /// `prefecture,industry`): each campaign then also has `cross`, its counts by the two.
    pub by: Option<String>,
}

/// Per campaign: approved totals by category, kind, prefecture and industry; with
/// `by=A,B` also by two of them at once ("北海道の情報通信業 23団体").
#[utoipa::path(
    operation_id = "public_get_stats",
    tag = "public",
    params(StatsQuery),
    responses(
        (status = 200, body = PublicStats, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "`validation_failed`: `by` is not two different dimensions", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/public/stats")]
pub async fn stats(state: State, req: HttpRequest, q: Query<StatsQuery>) -> ApiResult<HttpResponse> {
    let cross = match q.into_inner()?.by.as_deref().map(StatsDimension::pair) {
        Some(None) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "by",
                "invalid_choice",
                "must be two different ones of category, kind, prefecture, industry, e.g. prefecture,industry",
            )]))
        }
        by => by.flatten(),
    };
    let pool = state.pool.clone();
    cached(&state, &req, "application/json", |_| async move {
        let items = public::stats(&pool, cross).await?;
        json_bytes(&PublicStats {
            items,
            next_cursor: None,
        })
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Campaign slug.
    pub campaign: Option<String>,
    /// Category code; repeat for "any of".
    #[serde(default)]
    #[param(value_type = Option<Vec<Category>>, explode = true)]
    pub category: Vec<String>,
}

/// Atom 1.0 feed of the 50 latest approved activities, optionally of one campaign or
/// categories.
#[utoipa::path(
    operation_id = "public_get_feed",
    tag = "public",
    params(FeedQuery),
    responses(
        (status = 200, description = "An Atom 1.0 feed", content_type = "application/atom+xml", body = String),
        (status = 304, description = "Not modified")
    )
)]
#[get("/public/feed.atom")]
pub async fn feed(state: State, req: HttpRequest, query: Query<FeedQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner()?;
    let self_url = atom::feed_url(&state.config.public_base_url, q.campaign.as_deref(), &q.category);
    let listing = validate(
        PublicQuery {
            campaign: q.campaign,
            category: q.category,
            prefecture: None,
            kind: None,
            format: None,
            q: None,
            has_open_sessions: None,
            from: None,
            to: None,
        },
        Ok(Paging {
            limit: 50,
            cursor: None,
        }),
    )?;
    let pool = state.pool.clone();
    cached(&state, &req, "application/atom+xml; charset=utf-8", |_| async move {
        let items = public::latest(&pool, listing).await?;
        Ok(Bytes::from(atom::render(&self_url, &items)))
    })
    .await
}
