//! The public data generation, moved by every change that public endpoints can see.

use super::schema::public_state;
use super::DbConn;
use crate::error::ApiResult;
use diesel::prelude::*;

pub fn generation(conn: &mut DbConn) -> ApiResult<i64> {
    Ok(public_state::table
        .find(1)
        .select(public_state::generation)
        .first(conn)?)
}

/// Call inside the transaction of the change, so readers never see new data under an old
/// generation for longer than their refresh interval.
pub fn bump(conn: &mut DbConn) -> ApiResult<()> {
    diesel::update(public_state::table.find(1))
        .set(public_state::generation.eq(public_state::generation + 1))
        .execute(conn)?;
    Ok(())
}

use super::schema::{activities, campaigns};
use super::Backend;
use crate::api::page::Cursor;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Text};

/// Exactly the columns of the public view: nothing private can be selected by accident.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activities)]
pub struct PublicRow {
    pub id: String,
    /// Mapped to the campaign's slug; never sent as is.
    pub campaign_id: String,
    pub category_mask: i32,
    pub title: String,
    pub description: String,
    pub organizer_name: String,
    pub owner_kind: String,
    pub owner_industry: Option<String>,
    pub prefecture: Option<String>,
    pub format: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
}

/// Filters of the public listing (already validated).
#[derive(Debug, Default, Clone)]
pub struct PublicFilter {
    pub campaign_id: Option<String>,
    /// Any of these category bits.
    pub category_bits: Option<i32>,
    pub prefecture: Option<String>,
    pub kind: Option<String>,
    pub format: Option<String>,
    /// The query in search form (NFKC, lower case).
    pub q: Option<String>,
}

/// Queries of this many characters or more use the trigram index.
pub const TRIGRAM: usize = 3;

/// An FTS5 phrase for `s`: with the trigram tokenizer, a phrase matches as a substring.
fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

macro_rules! filtered {
    ($f:expr, $backend:expr) => {{
        let f = $f;
        let mut q = activities::table.filter(activities::status.eq("approved")).into_boxed();
        if let Some(c) = &f.campaign_id {
            q = q.filter(activities::campaign_id.eq(c.clone()));
        }
        if let Some(bits) = f.category_bits {
            if bits != 7 {
                q = q.filter(super::activities::mask_and(bits).ne(0));
            }
        }
        if let Some(p) = &f.prefecture {
            q = q.filter(activities::prefecture.eq(p.clone()));
        }
        if let Some(k) = &f.kind {
            q = q.filter(activities::owner_kind.eq(k.clone()));
        }
        if let Some(fmt) = &f.format {
            q = q.filter(activities::format.eq(fmt.clone()));
        }
        if let Some(text) = &f.q {
            if $backend == Backend::Sqlite && text.chars().count() >= TRIGRAM {
                q = q.filter(
                    sql::<Bool>(
                        "activities.seq IN (SELECT rowid FROM activities_search WHERE activities_search MATCH ",
                    )
                    .bind::<Text, _>(fts_phrase(text))
                    .sql(")"),
                );
            } else if $backend == Backend::Postgres {
                // Backslash is PostgreSQL's default LIKE escape; an explicit (bound) ESCAPE
                // would turn the pattern into like_escape(…), which the trigram index
                // cannot serve.
                q = q.filter(activities::search_text.like(format!("%{}%", super::like_escape(text))));
            } else {
                // Short queries on SQLite scan the approved rows; both sides are already in
                // search form, so a plain byte search (instr) does, much faster than LIKE's
                // per-character case folding.
                q = q.filter(
                    sql::<Bool>("instr(activities.search_text, ")
                        .bind::<Text, _>(text.clone())
                        .sql(") > 0"),
                );
            }
        }
        q
    }};
}

/// One page of approved activities, newest approval first, with their campaign slugs.
pub fn list(
    conn: &mut DbConn,
    f: &PublicFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<(PublicRow, String)>> {
    let backend = conn.backend();
    let mut q = filtered!(f, backend);
    if let Some(c) = cursor {
        q = q.filter(super::keyset(
            "activities.approved_at",
            "activities.id",
            "<",
            c.at,
            &c.id,
        ));
    }
    let rows: Vec<PublicRow> = q
        .select(PublicRow::as_select())
        .order((activities::approved_at.desc(), activities::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    with_slugs(conn, rows)
}

/// How many approved activities match.
pub fn count(conn: &mut DbConn, f: &PublicFilter) -> ApiResult<i64> {
    let backend = conn.backend();
    if let (Backend::Sqlite, Some(text)) = (backend, &f.q) {
        let only_text = f.campaign_id.is_none()
            && f.category_bits.is_none_or(|b| b == 7)
            && f.prefecture.is_none()
            && f.kind.is_none()
            && f.format.is_none();
        if only_text && text.chars().count() >= TRIGRAM {
            // The index holds exactly the approved activities: count there, without
            // visiting every match in the table.
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let row: Count =
                diesel::sql_query("SELECT count(*) AS n FROM activities_search WHERE activities_search MATCH ?")
                    .bind::<Text, _>(fts_phrase(text))
                    .get_result(conn)?;
            return Ok(row.n);
        }
    }
    Ok(filtered!(f, backend).count().get_result(conn)?)
}

/// One approved activity.
pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<(PublicRow, String)>> {
    let row: Option<PublicRow> = activities::table
        .filter(activities::id.eq(id))
        .filter(activities::status.eq("approved"))
        .select(PublicRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_slugs(conn, row.into_iter().collect())?.pop())
}

fn with_slugs(conn: &mut DbConn, rows: Vec<PublicRow>) -> ApiResult<Vec<(PublicRow, String)>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.campaign_id.as_str()).collect();
    let slugs = campaign_slugs(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let slug = slugs.get(&r.campaign_id).cloned().unwrap_or_default();
            (r, slug)
        })
        .collect())
}

/// Approved counts grouped by campaign, categories, kind, prefecture and industry:
/// (campaign, category mask, kind, prefecture, industry, count).
pub type StatGroup = (String, i32, String, Option<String>, Option<String>, i64);

pub fn stat_groups(conn: &mut DbConn) -> ApiResult<Vec<StatGroup>> {
    let groups: Vec<StatGroup> = activities::table
        .filter(activities::status.eq("approved"))
        .group_by((
            activities::campaign_id,
            activities::category_mask,
            activities::owner_kind,
            activities::prefecture,
            activities::owner_industry,
        ))
        .select((
            activities::campaign_id,
            activities::category_mask,
            activities::owner_kind,
            activities::prefecture,
            activities::owner_industry,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let ids: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
    let slugs = campaign_slugs(conn, &ids)?;
    Ok(groups
        .into_iter()
        .map(|(c, m, k, p, i, n)| (slugs.get(&c).cloned().unwrap_or_default(), m, k, p, i, n))
        .collect())
}

type Slugs = std::collections::HashMap<String, String>;

/// Campaign id → slug. A slug never changes once created, so each process keeps the map and
/// reloads it only when it meets an id it does not know (a campaign created since).
fn campaign_slugs(conn: &mut DbConn, needed: &[&str]) -> ApiResult<std::sync::Arc<Slugs>> {
    use std::sync::{Arc, OnceLock, RwLock};
    static CACHE: OnceLock<RwLock<Arc<Slugs>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let known = cache.read().unwrap_or_else(|p| p.into_inner()).clone();
    if needed.iter().all(|id| known.contains_key(*id)) {
        return Ok(known);
    }
    // Ids are UUIDs, so entries learnt from another database in the same process cannot clash.
    let mut merged = (*known).clone();
    merged.extend(
        campaigns::table
            .select((campaigns::id, campaigns::slug))
            .load::<(String, String)>(conn)?,
    );
    let merged = Arc::new(merged);
    *cache.write().unwrap_or_else(|p| p.into_inner()) = merged.clone();
    Ok(merged)
}
