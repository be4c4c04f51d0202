//! The public read model: pages of approved activities in the public view, cached per data
//! generation (a filter's first page once for every `limit`, its total once for every
//! page), one activity, the statistics and the feed's latest items.

pub mod sessions;
mod view;

use crate::cache::{FirstPage, PublicCache};
use crate::db::public::{self, PublicFilter, PublicRow};
use crate::db::{self, campaigns, Pool};
use crate::domain::activity::category_codes;
use crate::domain::codes::{Kind, StatsDimension};
use crate::domain::page::{self, Cursor, Total, MAX_LIMIT};
use crate::error::{ApiError, ApiResult};
use crate::service;
use actix_web::web::Bytes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
pub use view::{CampaignStats, CrossStats, PublicActivity, PublicPage, PublicStats};

/// A validated request for a page of the listing.
pub struct Listing {
    pub filter: PublicFilter,
    /// The campaign slug, checked against the database when the page is read.
    pub campaign: Option<String>,
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

impl Listing {
    /// Identifies the filter (not the page) for the caches of first pages and totals.
    fn filter_key(&self) -> String {
        let f = &self.filter;
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
            self.campaign,
            f.category_bits,
            f.prefecture,
            f.kind,
            f.format,
            f.q,
            f.open_sessions_at.is_some(),
            f.sessions_between
        )
    }
}

/// The body of a page of the listing made at `generation`, in the shape of [`PublicPage`].
pub async fn page(pool: &Pool, cache: &PublicCache, listing: Listing, generation: i64) -> ApiResult<Bytes> {
    let filter_key = listing.filter_key();
    if listing.cursor.is_none() {
        // The first page of a filter serves every `limit`: made once per generation.
        let public = cache;
        let first = public
            .making_first_pages
            .run(
                &format!("{generation} {filter_key}"),
                || public.first_page(&filter_key, generation),
                || async {
                    let first = Arc::new(first_page(pool, cache, &listing, generation).await?);
                    public.put_first_page(filter_key.clone(), first.clone());
                    Ok(first)
                },
            )
            .await?;
        return Ok(slice_first_page(&first, listing.limit as usize));
    }
    // Later pages: `total` depends on the filter only, so it is counted once per
    // generation.
    let known_total = cache.count(&filter_key, generation);
    let page = service::run(pool, move |conn| {
        let mut filter = listing.filter;
        filter.campaign_id = campaign_id(conn, listing.campaign.as_deref())?;
        let (rows, total) = public::page(conn, &filter, listing.cursor.as_ref(), listing.limit, known_total)?;
        let mut sessions = sessions::of_rows(conn, rows.iter().take(listing.limit as usize).map(|(r, _)| r))?;
        let page = page::finish(rows, listing.limit, row_cursor, |r| {
            PublicActivity::with(r, &mut sessions)
        });
        Ok(PublicPage {
            items: page.items,
            next_cursor: page.next_cursor,
            total: total.n,
            total_is_lower_bound: total.lower_bound,
        })
    })
    .await?;
    let total = Total {
        n: page.total,
        lower_bound: page.total_is_lower_bound,
    };
    cache.put_count(filter_key, generation, total);
    json_bytes(&page)
}

/// One approved activity, or 404.
pub async fn activity(pool: &Pool, id: String) -> ApiResult<PublicActivity> {
    service::run(pool, move |conn| {
        let row = public::find(conn, &id)?.ok_or_else(|| ApiError::not_found("No approved activity with this id."))?;
        let mut sessions = sessions::of_rows(conn, [&row.0])?;
        Ok(PublicActivity::with(row, &mut sessions))
    })
    .await
}

/// The latest approved activities of a listing (no paging), for the feed.
pub async fn latest(pool: &Pool, listing: Listing) -> ApiResult<Vec<PublicActivity>> {
    let rows = service::run(pool, move |conn| {
        let mut filter = listing.filter;
        filter.campaign_id = campaign_id(conn, listing.campaign.as_deref())?;
        Ok(public::list(conn, &filter, None, listing.limit)?)
    })
    .await?;
    Ok(rows
        .into_iter()
        .take(listing.limit as usize)
        .map(PublicActivity::new)
        .collect())
}

/// Approved totals per campaign, newest campaign slug first; with `cross`, also counted by
/// those two dimensions.
pub async fn stats(pool: &Pool, cross: Option<(StatsDimension, StatsDimension)>) -> ApiResult<Vec<CampaignStats>> {
    let groups = service::run(pool, |conn| Ok(public::stat_groups(conn)?)).await?;
    let mut by: BTreeMap<String, CampaignStats> = BTreeMap::new();
    for (slug, mask, kind, prefecture, industry, n) in groups {
        let s = by.entry(slug.clone()).or_insert_with(|| CampaignStats {
            campaign: slug,
            cross: cross.map(|(a, b)| CrossStats {
                by: vec![a, b],
                ..Default::default()
            }),
            ..Default::default()
        });
        let categories = category_codes(mask);
        let industry = industry.unwrap_or_else(|| "none".into());
        let prefecture = prefecture.unwrap_or_else(|| "none".into());
        s.total += n;
        for c in &categories {
            *s.by_category.entry(c.clone()).or_default() += n;
        }
        if kind == Kind::Organization {
            *s.by_industry.entry(industry.clone()).or_default() += n;
        }
        *s.by_kind.entry(kind.as_str().to_owned()).or_default() += n;
        *s.by_prefecture.entry(prefecture.clone()).or_default() += n;
        if let (Some((a, b)), Some(cross)) = (cross, s.cross.as_mut()) {
            // The values of one dimension for this group: an activity counts once in each of
            // its categories, and under `industry` only as an organization.
            let values = |d: StatsDimension| -> Vec<String> {
                match d {
                    StatsDimension::Category => categories.clone(),
                    StatsDimension::Kind => vec![kind.as_str().to_owned()],
                    StatsDimension::Prefecture => vec![prefecture.clone()],
                    StatsDimension::Industry if kind == Kind::Organization => vec![industry.clone()],
                    StatsDimension::Industry => Vec::new(),
                }
            };
            for x in values(a) {
                let row = cross.counts.entry(x).or_default();
                for y in values(b) {
                    *row.entry(y).or_default() += n;
                }
            }
        }
    }
    let mut items: Vec<CampaignStats> = by.into_values().collect();
    items.sort_by(|a, b| b.campaign.cmp(&a.campaign));
    Ok(items)
}

pub fn json_bytes<T: Serialize>(v: &T) -> ApiResult<Bytes> {
    serde_json::to_vec(v)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The campaign id of a slug given as a filter; an unknown slug is the client's error.
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

fn row_cursor((r, _): &(PublicRow, String)) -> Cursor {
    Cursor {
        at: r.approved_at.unwrap_or_default(),
        id: r.id.clone(),
    }
}

/// Reads the first `MAX_LIMIT` items of a filter (and its total), each serialized on its own.
async fn first_page(pool: &Pool, cache: &PublicCache, listing: &Listing, generation: i64) -> ApiResult<FirstPage> {
    let known_total = cache.count(&listing.filter_key(), generation);
    let mut filter = listing.filter.clone();
    let campaign = listing.campaign.clone();
    let (rows, total, mut sessions) = service::run(pool, move |conn| {
        filter.campaign_id = campaign_id(conn, campaign.as_deref())?;
        let (rows, total) = public::page(conn, &filter, None, MAX_LIMIT, known_total)?;
        let sessions = sessions::of_rows(conn, rows.iter().take(MAX_LIMIT as usize).map(|(r, _)| r))?;
        Ok((rows, total, sessions))
    })
    .await?;
    let more = rows.len() as i64 > MAX_LIMIT;
    let items = rows
        .into_iter()
        .take(MAX_LIMIT as usize)
        .map(|row| {
            let cursor = row_cursor(&row).encode();
            json_bytes(&PublicActivity::with(row, &mut sessions)).map(|json| (json, cursor))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(FirstPage {
        generation,
        items,
        more,
        total,
    })
}

/// The body of a first page of `limit` items, in the shape of [`PublicPage`], joined from
/// items serialized once: one cached first page answers all 100 `limit`s of a filter, where
/// a body per URL made the filtered scenario miss (it sends 14,100 distinct URLs). Kept.
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
    let total = first.total;
    body.extend_from_slice(
        format!(
            ",\"total\":{},\"total_is_lower_bound\":{}}}",
            total.n, total.lower_bound
        )
        .as_bytes(),
    );
    Bytes::from(body)
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
            total: Total::exact(42),
        }
    }

    fn parsed(b: Bytes) -> serde_json::Value {
        serde_json::from_slice(&b).unwrap()
    }

    #[test]
    fn first_pages_are_sliced_into_the_page_shape() {
        assert_eq!(
            parsed(slice_first_page(&first(3, false), 2)),
            json!({"items": [{"id": 0}, {"id": 1}], "next_cursor": "c1", "total": 42, "total_is_lower_bound": false})
        );
        assert_eq!(
            parsed(slice_first_page(&first(3, false), 3)),
            json!({"items": [{"id": 0}, {"id": 1}, {"id": 2}], "next_cursor": null, "total": 42, "total_is_lower_bound": false})
        );
        assert_eq!(
            parsed(slice_first_page(&first(3, true), 5))["next_cursor"],
            json!("c2"),
            "more items exist beyond the cached ones"
        );
        assert_eq!(
            parsed(slice_first_page(&first(0, false), 20)),
            json!({"items": [], "next_cursor": null, "total": 42, "total_is_lower_bound": false})
        );
    }
}
