//! Public endpoints: approved activities only, in the public view and nothing else.
//! Responses carry an ETag derived from the data generation, so a matching `If-None-Match`
//! is answered with 304 without running the query; bodies are cached per generation.

use crate::api::atom;
use crate::api::extract::{parse_id, Query};
use crate::api::page::{self, Cursor};
use crate::api::public_view::PublicActivity;
use crate::db::public::{self, PublicFilter, PublicRow};
use crate::db::{self, campaigns};
use crate::domain::activity::{category_bit, category_codes};
use crate::domain::codes::{ActivityFormat, Category, Kind};
use crate::domain::{reference, text};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::public_cache::{etag, FirstPage};
use crate::service;
use crate::state::State;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// A page of the public listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPage {
    pub items: Vec<PublicActivity>,
    pub next_cursor: Option<String>,
    /// How many approved activities match the filters.
    pub total: i64,
}

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
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

struct Listing {
    filter: PublicFilter,
    campaign: Option<String>,
    limit: i64,
    cursor: Option<Cursor>,
}

impl Listing {
    /// Identifies the filter (not the page) for the caches of first pages and totals.
    fn filter_key(&self) -> String {
        let f = &self.filter;
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.campaign, f.category_bits, f.prefecture, f.kind, f.format, f.q
        )
    }
}

fn validate(q: PublicQuery) -> ApiResult<Listing> {
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
    let paging =
        page::params(q.limit.as_deref(), q.cursor.as_deref()).map_err(|e| errors.extend(e.errors().iter().cloned()));
    let (Ok((limit, cursor)), true) = (paging, errors.is_empty()) else {
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
    let key = format!("{}?{}", req.path(), req.query_string());
    let generation = state.public.generation(&state.pool).await?;
    let tag = etag(generation, &key);
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let respond = |mut res: actix_web::HttpResponseBuilder, tag: &str| {
        res.insert_header((ETAG, tag.to_owned()))
            .insert_header((CACHE_CONTROL, "public, max-age=0, must-revalidate"));
        res
    };
    if fresh {
        return Ok(respond(HttpResponse::NotModified(), &tag).finish());
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
    Ok(respond(HttpResponse::Ok(), &tag)
        .insert_header((CONTENT_TYPE, content_type))
        .body(body))
}

fn json_bytes<T: Serialize>(v: &T) -> ApiResult<Bytes> {
    serde_json::to_vec(v)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn campaign_id(conn: &mut db::DbConn, slug: Option<&str>) -> ApiResult<Option<String>> {
    slug.map(|s| match campaigns::by_slug(conn, s)? {
        Some(c) => Ok(c.id),
        None => Err(ApiError::field(
            "campaign",
            "unknown_campaign",
            format!("there is no campaign `{s}`"),
        )),
    })
    .transpose()
}

/// Approved activities, newest approval first, with filters, search and `total`.
#[utoipa::path(
    operation_id = "public_list_activities",
    tag = "public",
    params(PublicQuery),
    responses(
        (status = 200, body = PublicPage, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified")
    )
)]
#[get("/public/activities")]
pub async fn list(state: State, req: HttpRequest, query: Query<PublicQuery>) -> ApiResult<HttpResponse> {
    let listing = validate(query.into_inner()?)?;
    let st = state.clone();
    cached(&state, &req, "application/json", |generation| async move {
        let filter_key = listing.filter_key();
        if listing.cursor.is_none() {
            // The first page of a filter serves every `limit`: made once per generation.
            let public = &st.public;
            let first = public
                .making_first_pages
                .run(
                    &format!("{generation} {filter_key}"),
                    || public.first_page(&filter_key, generation),
                    || async {
                        let first = Arc::new(first_page(&st, &listing, generation).await?);
                        public.put_first_page(filter_key.clone(), first.clone());
                        Ok(first)
                    },
                )
                .await?;
            return Ok(slice_first_page(&first, listing.limit as usize));
        }
        // Later pages: `total` depends on the filter only, so it is counted once per
        // generation.
        let known_total = st.public.count(&filter_key, generation);
        let page = service::run(&st.pool, move |conn| {
            let mut filter = listing.filter;
            filter.campaign_id = campaign_id(conn, listing.campaign.as_deref())?;
            let (rows, total) = public::page(conn, &filter, listing.cursor.as_ref(), listing.limit, known_total)?;
            let page = page::finish(rows, listing.limit, row_cursor, PublicActivity::new);
            Ok(PublicPage {
                items: page.items,
                next_cursor: page.next_cursor,
                total,
            })
        })
        .await?;
        st.public.put_count(filter_key, generation, page.total);
        json_bytes(&page)
    })
    .await
}

fn row_cursor((r, _): &(PublicRow, String)) -> Cursor {
    Cursor {
        at: r.approved_at.unwrap_or_default(),
        id: r.id.clone(),
    }
}

/// Reads the first `MAX_LIMIT` items of a filter (and its total), each serialized on its own.
async fn first_page(st: &State, listing: &Listing, generation: i64) -> ApiResult<FirstPage> {
    let known_total = st.public.count(&listing.filter_key(), generation);
    let mut filter = listing.filter.clone();
    let campaign = listing.campaign.clone();
    let (rows, total) = service::run(&st.pool, move |conn| {
        filter.campaign_id = campaign_id(conn, campaign.as_deref())?;
        Ok(public::page(conn, &filter, None, page::MAX_LIMIT, known_total)?)
    })
    .await?;
    let more = rows.len() as i64 > page::MAX_LIMIT;
    let items = rows
        .into_iter()
        .take(page::MAX_LIMIT as usize)
        .map(|row| {
            let cursor = row_cursor(&row).encode();
            json_bytes(&PublicActivity::new(row)).map(|json| (json, cursor))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(FirstPage {
        generation,
        items,
        more,
        total,
    })
}

/// The body of a first page of `limit` items, in the shape of [`PublicPage`].
fn slice_first_page(first: &FirstPage, limit: usize) -> Bytes {
    let shown = &first.items[..limit.min(first.items.len())];
    let next_cursor = (first.more || shown.len() < first.items.len())
        .then(|| shown.last().map(|(_, cursor)| cursor.as_str()))
        .flatten();
    let mut body = Vec::with_capacity(shown.iter().map(|(json, _)| json.len() + 1).sum::<usize>() + 96);
    body.extend_from_slice(b"{\"items\":[");
    for (i, (json, _)) in shown.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(json);
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    match next_cursor {
        Some(cursor) => body.extend_from_slice(format!("\"{cursor}\"").as_bytes()),
        None => body.extend_from_slice(b"null"),
    }
    body.extend_from_slice(format!(",\"total\":{}}}", first.total).as_bytes());
    Bytes::from(body)
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
        let row = service::run(&pool, move |conn| Ok(public::find(conn, &id)?)).await?;
        let row = row.ok_or_else(|| ApiError::not_found("No approved activity with this id."))?;
        json_bytes(&PublicActivity::new(row))
    })
    .await
}

/// Approved totals of one campaign.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CampaignStats {
    pub campaign: String,
    pub total: i64,
    /// By category code (an activity counts once in each of its categories).
    pub by_category: BTreeMap<String, i64>,
    /// By `organization` / `individual`.
    pub by_kind: BTreeMap<String, i64>,
    /// By prefecture code; `none` for activities without one.
    pub by_prefecture: BTreeMap<String, i64>,
    /// By JSIC division of organizations; `none` when not given.
    pub by_industry: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStats {
    pub items: Vec<CampaignStats>,
    pub next_cursor: Option<String>,
}

/// Per campaign: approved totals by category, kind, prefecture and industry.
#[utoipa::path(
    operation_id = "public_get_stats",
    tag = "public",
    responses(
        (status = 200, body = PublicStats, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified")
    )
)]
#[get("/public/stats")]
pub async fn stats(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let pool = state.pool.clone();
    cached(&state, &req, "application/json", |_| async move {
        let groups = service::run(&pool, |conn| Ok(public::stat_groups(conn)?)).await?;
        let mut by: BTreeMap<String, CampaignStats> = BTreeMap::new();
        for (slug, mask, kind, prefecture, industry, n) in groups {
            let s = by.entry(slug.clone()).or_insert_with(|| CampaignStats {
                campaign: slug,
                ..Default::default()
            });
            s.total += n;
            for c in category_codes(mask) {
                *s.by_category.entry(c).or_default() += n;
            }
            if kind == Kind::Organization {
                *s.by_industry
                    .entry(industry.unwrap_or_else(|| "none".into()))
                    .or_default() += n;
            }
            *s.by_kind.entry(kind.as_str().to_owned()).or_default() += n;
            *s.by_prefecture
                .entry(prefecture.unwrap_or_else(|| "none".into()))
                .or_default() += n;
        }
        let mut items: Vec<CampaignStats> = by.into_values().collect();
        items.sort_by(|a, b| b.campaign.cmp(&a.campaign));
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
    let self_url = feed_url(&state.config.public_base_url, q.campaign.as_deref(), &q.category);
    let listing = validate(PublicQuery {
        campaign: q.campaign,
        category: q.category,
        prefecture: None,
        kind: None,
        format: None,
        q: None,
        limit: Some("50".into()),
        cursor: None,
    })?;
    let pool = state.pool.clone();
    cached(&state, &req, "application/atom+xml; charset=utf-8", |_| async move {
        let rows = service::run(&pool, move |conn| {
            let mut filter = listing.filter;
            filter.campaign_id = campaign_id(conn, listing.campaign.as_deref())?;
            Ok(public::list(conn, &filter, None, listing.limit)?)
        })
        .await?;
        let items: Vec<PublicActivity> = rows.into_iter().take(50).map(PublicActivity::new).collect();
        Ok(Bytes::from(atom::render(&self_url, &items)))
    })
    .await
}

/// The feed's own URL (its `<id>` and `rel="self"`): the configured base, the route and the
/// validated filters. Nothing of it comes from the request's host, scheme or target form.
fn feed_url(base: &str, campaign: Option<&str>, categories: &[String]) -> String {
    let filters: Vec<(&str, &str)> = campaign
        .map(|c| ("campaign", c))
        .into_iter()
        .chain(categories.iter().map(|c| ("category", c.as_str())))
        .collect();
    let query = serde_html_form::to_string(&filters).unwrap_or_default();
    let sep = if query.is_empty() { "" } else { "?" };
    format!("{base}/api/v1/public/feed.atom{sep}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(n: usize, more: bool) -> FirstPage {
        FirstPage {
            generation: 1,
            items: (0..n)
                .map(|i| (Bytes::from(format!("{{\"id\":{i}}}")), format!("c{i}")))
                .collect(),
            more,
            total: 42,
        }
    }

    fn parsed(b: Bytes) -> serde_json::Value {
        serde_json::from_slice(&b).unwrap()
    }

    #[test]
    fn feed_urls_start_from_the_base_and_encode_filters() {
        let base = "https://telework.example.jp";
        assert_eq!(
            feed_url(base, None, &[]),
            "https://telework.example.jp/api/v1/public/feed.atom"
        );
        assert_eq!(
            feed_url(base, Some("2026 秋"), &["try_practice".into(), "a&b".into()]),
            "https://telework.example.jp/api/v1/public/feed.atom?campaign=2026+%E7%A7%8B&category=try_practice&category=a%26b"
        );
    }

    #[test]
    fn first_pages_are_sliced_into_the_page_shape() {
        assert_eq!(
            parsed(slice_first_page(&first(3, false), 2)),
            json!({"items": [{"id": 0}, {"id": 1}], "next_cursor": "c1", "total": 42})
        );
        assert_eq!(
            parsed(slice_first_page(&first(3, false), 3)),
            json!({"items": [{"id": 0}, {"id": 1}, {"id": 2}], "next_cursor": null, "total": 42})
        );
        assert_eq!(
            parsed(slice_first_page(&first(3, true), 5))["next_cursor"],
            json!("c2"),
            "more items exist beyond the cached ones"
        );
        assert_eq!(
            parsed(slice_first_page(&first(0, false), 20)),
            json!({"items": [], "next_cursor": null, "total": 42})
        );
    }
}
