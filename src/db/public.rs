//! The public read model's queries: approved activities in the public view, the listing
//! with its filters and text search, and the statistics.

use super::DbConn;
use super::{Error, Result};
use diesel::prelude::*;

use super::schema::{activities, campaigns};
use super::Backend;
use crate::domain::codes::Kind;
use crate::domain::page::{Cursor, Total};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

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
    #[diesel(deserialize_as = String)]
    pub owner_kind: Kind,
    pub owner_industry: Option<String>,
    pub prefecture: Option<String>,
    pub format: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    /// How many sessions the activity has: they are looked up only where there are some.
    pub session_count: i32,
}

/// Filters of the public listing (already validated).
#[derive(Debug, Default, Clone)]
pub struct PublicFilter {
    pub campaign_id: Option<String>,
    /// Any of these category bits.
    pub category_bits: Option<i32>,
    pub prefecture: Option<String>,
    pub kind: Option<Kind>,
    pub format: Option<String>,
    /// The query in search form (NFKC, lower case).
    pub q: Option<String>,
    /// Only activities with a session that takes applications at this time.
    pub open_sessions_at: Option<NaiveDateTime>,
    /// Only activities with a session (not cancelled) starting in `[from, until)`.
    pub sessions_between: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
}

use super::search_count;
use super::text_search;
pub use super::text_search::SearchPlan;

/// The approved activities, as a literal: the listing indexes hold only those (migration
/// 2026-12-13-000001), and a planner uses such a partial index only for a query whose
/// condition it can see implies the index's; a bound status would not.
const APPROVED: &str = "activities.status = 'approved'";

/// The approved activities that pass `$f`. With `q`, `$plan` says how the text is matched
/// (`Scan`: instr/strpos on each row; otherwise the search index: on SQLite membership in
/// it, on PostgreSQL its operator, LIKE for the trigram index), and on SQLite
/// `$drive` makes the search index drive the query instead of a listing index.
macro_rules! filtered {
    ($f:expr, $backend:expr, $plan:expr, $drive:expr) => {{
        let f = $f;
        let plan: Option<SearchPlan> = $plan;
        let mut q = activities::table.into_boxed();
        q = if $drive {
            // `+status` keeps SQLite from walking a listing index (it cannot see that this
            // implies their `status = 'approved'`): the search index drives, through
            // activities_seq_key.
            q.filter(sql::<Bool>("+activities.status = 'approved'"))
        } else {
            q.filter(sql::<Bool>(APPROVED))
        };
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
            q = q.filter(activities::owner_kind.eq(k.as_str()));
        }
        if let Some(fmt) = &f.format {
            q = q.filter(activities::format.eq(fmt.clone()));
        }
        if let Some(at) = f.open_sessions_at {
            use super::schema::event_sessions as s;
            // Window open, not cancelled, and a seat or a waitlist left (domain::event::Window).
            let open = s::table
                .filter(s::cancelled_at.is_null())
                .filter(s::applications_open_at.is_null().or(s::applications_open_at.le(at)))
                .filter(
                    s::applications_close_at
                        .gt(at)
                        .or(s::applications_close_at.is_null().and(s::starts_at.gt(at))),
                )
                .filter(
                    s::capacity
                        .is_null()
                        .or(s::confirmed_count.nullable().lt(s::capacity))
                        .or(s::waitlist.eq(true)),
                )
                .select(s::activity_id);
            q = q.filter(activities::id.eq_any(open));
        }
        if let Some((from, until)) = f.sessions_between {
            use super::schema::event_sessions as s;
            let starting = s::table
                .filter(s::cancelled_at.is_null())
                .filter(s::starts_at.ge(from.unwrap_or(crate::domain::event::earliest())))
                .filter(s::starts_at.lt(until.unwrap_or(crate::domain::event::latest())))
                .select(s::activity_id);
            q = q.filter(activities::id.eq_any(starting));
        }
        if let Some(text) = &f.q {
            if $backend == Backend::Postgres && plan == Some(SearchPlan::Scan) {
                // Not indexable, so the planner walks a listing index in order.
                q = q.filter(
                    sql::<Bool>("strpos(activities.search_text, ")
                        .bind::<Text, _>(text.clone())
                        .sql(") > 0"),
                );
            } else if let (Backend::Postgres, Some(_), Some(key)) = ($backend, plan, text_search::pg_gram_key(text)) {
                q = q.filter(
                    sql::<Bool>(text_search::PG_SHORT_MATCH)
                        .bind::<BigInt, _>(key)
                        .sql(text_search::PG_SHORT_END),
                );
            } else if $backend == Backend::Postgres {
                q = q.filter(activities::search_text.like(text_search::pg_like_pattern(text)));
            } else if plan == Some(SearchPlan::Scan) {
                // Both sides are already in search form, so a plain byte search (instr)
                // decides, much faster than LIKE's per-character case folding.
                q = q.filter(
                    sql::<Bool>("instr(activities.search_text, ")
                        .bind::<Text, _>(text.clone())
                        .sql(") > 0"),
                );
            } else {
                // Unless the search index drives, `+seq` keeps SQLite from doing so.
                let (index, phrase) = text_search::sqlite_index(text);
                let seq = if $drive { "activities.seq" } else { "+activities.seq" };
                q = q.filter(
                    sql::<Bool>(&format!("{seq} IN (SELECT rowid FROM {index} WHERE {index} MATCH "))
                        .bind::<Text, _>(phrase)
                        .sql(")"),
                );
            }
        }
        q
    }};
}

/// Rows of a listing.
pub type Rows = Vec<(PublicRow, String)>;

/// One page of approved activities, newest approval first, with their campaign slugs.
pub fn list(conn: &mut DbConn, f: &PublicFilter, cursor: Option<&Cursor>, limit: i64) -> Result<Rows> {
    let plan = match &f.q {
        Some(q) => Some(search_count::plan_for(conn, q, limit)?),
        _ => None,
    };
    list_with(conn, f, cursor, limit, plan)
}

/// A page and the filter's `total` (counted unless `known_total` has it), sharing the work
/// a text search needs for both.
pub fn page(
    conn: &mut DbConn,
    f: &PublicFilter,
    cursor: Option<&Cursor>,
    limit: i64,
    known_total: Option<Total>,
) -> Result<(Rows, Total)> {
    let backend = conn.backend();
    let Some(q) = f.q.as_deref() else {
        let rows = list_with(conn, f, cursor, limit, None)?;
        let total = match known_total {
            Some(total) => total,
            None => count(conn, f)?,
        };
        return Ok((rows, total));
    };
    if backend == Backend::Postgres {
        return pg_page(conn, f, q, cursor, limit, known_total);
    }
    let matches = match known_total {
        Some(total) if only_text(f) => total,
        _ => search_count::matches(conn, q)?,
    };
    let total = match known_total {
        Some(total) => total,
        None if only_text(f) => matches,
        None => count(conn, f)?,
    };
    if total.n == 0 {
        return Ok((Vec::new(), total));
    }
    let plan = SearchPlan::choose(matches.n, text_search::row_estimate(conn)?, limit);
    Ok((list_with(conn, f, cursor, limit, Some(plan))?, total))
}

/// [`page`] on PostgreSQL, whose counts visit every match: the plan comes from a sample of
/// the newest activities, a first page that holds every match is its own total, and a text
/// search alone is counted in the sample's transaction where the sample expects more.
fn pg_page(
    conn: &mut DbConn,
    f: &PublicFilter,
    q: &str,
    cursor: Option<&Cursor>,
    limit: i64,
    known_total: Option<Total>,
) -> Result<(Rows, Total)> {
    let count_first = known_total.is_none() && only_text(f);
    let (sampled, counted) = search_count::pg_sampled_then(conn, q, |conn, sampled| {
        if count_first && (cursor.is_some() || sampled.estimate() > limit) {
            search_count::pg_count_for(conn, q, sampled).map(Some)
        } else {
            Ok(None)
        }
    })?;
    let matches = match known_total.or(counted) {
        Some(total) if only_text(f) && !total.lower_bound => total.n,
        _ => sampled.estimate(),
    };
    let plan = SearchPlan::choose_on(Backend::Postgres, matches, sampled.rows, limit);
    let page = list_with(conn, f, cursor, limit, Some(plan))?;
    let total = match (known_total, counted) {
        (Some(total), _) => total,
        _ if cursor.is_none() && page.len() as i64 <= limit => Total::exact(page.len() as i64),
        (None, Some(total)) => total,
        _ if only_text(f) => search_count::pg_matches(conn, q, sampled)?,
        _ => count(conn, f)?,
    };
    Ok((page, total))
}

/// [`list`] with the search plan chosen (for a filter with `q`).
pub fn list_with(
    conn: &mut DbConn,
    f: &PublicFilter,
    cursor: Option<&Cursor>,
    limit: i64,
    plan: Option<SearchPlan>,
) -> Result<Rows> {
    let backend = conn.backend();
    let plan = match &f.q {
        Some(_) => Some(plan.unwrap_or(SearchPlan::Walk)),
        _ => None,
    };
    // SQLite reads the matches first and sorts them after; PostgreSQL's planner decides.
    let sorted_after = backend == Backend::Sqlite && plan == Some(SearchPlan::Matches);
    let mut q = filtered!(f, backend, plan, sorted_after);
    if let Some(c) = cursor {
        q = q.filter(super::keyset(
            "activities.approved_at",
            "activities.id",
            "<",
            c.at,
            &c.id,
        ));
    }
    let q = q.select(PublicRow::as_select()).limit(limit + 1);
    let rows: Vec<PublicRow> = if sorted_after {
        // Sorted after reading the matches; `+` keeps SQLite from walking an index for order.
        q.order(sql::<Bool>("+activities.approved_at DESC, +activities.id DESC"))
            .load(conn)?
    } else {
        q.order((activities::approved_at.desc(), activities::id.desc()))
            .load(conn)?
    };
    with_slugs(conn, rows)
}

/// Whether a filter has nothing but `q`.
fn only_text(f: &PublicFilter) -> bool {
    f.campaign_id.is_none()
        && f.category_bits.is_none_or(|b| b == 7)
        && f.prefecture.is_none()
        && f.kind.is_none()
        && f.format.is_none()
        && f.open_sessions_at.is_none()
        && f.sessions_between.is_none()
}

/// How many approved activities match: exactly, except that PostgreSQL counts a text search
/// up to `text_search::PG_COUNT_LIMIT` (a lower bound beyond).
pub fn count(conn: &mut DbConn, f: &PublicFilter) -> Result<Total> {
    let backend = conn.backend();
    let plan = match &f.q {
        Some(q) if only_text(f) => return search_count::matches(conn, q),
        Some(_) => Some(SearchPlan::Walk),
        _ => None,
    };
    if backend == Backend::Postgres && plan.is_some() {
        // Counted up to the limit, as search_count::matches does.
        let found: Vec<i32> = search_count::pg_counting(conn, "", |conn| {
            Ok(filtered!(f, backend, plan, false)
                .select(sql::<Integer>("1"))
                .limit(text_search::PG_COUNT_LIMIT + 1)
                .load(conn)?)
        })?;
        return Ok(text_search::capped(found.len() as i64));
    }
    Ok(Total::exact(
        filtered!(f, backend, plan, false).count().get_result(conn)?,
    ))
}

/// One approved activity.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<(PublicRow, String)>> {
    let row: Option<PublicRow> = activities::table
        .filter(activities::id.eq(id))
        .filter(sql::<Bool>(APPROVED))
        .select(PublicRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_slugs(conn, row.into_iter().collect())?.pop())
}

fn with_slugs(conn: &mut DbConn, rows: Vec<PublicRow>) -> Result<Vec<(PublicRow, String)>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.campaign_id.as_str()).collect();
    let slugs = campaign_slugs(conn, &ids)?;
    rows.into_iter()
        .map(|r| slug_of(&slugs, &r.campaign_id).map(|slug| (r, slug)))
        .collect()
}

/// Approved counts grouped by campaign, categories, kind, prefecture and industry:
/// (campaign, category mask, kind, prefecture, industry, count).
pub type StatGroup = (String, i32, Kind, Option<String>, Option<String>, i64);

/// A [`StatGroup`] as stored: campaign id and kind as text.
type StoredGroup = (String, i32, String, Option<String>, Option<String>, i64);

pub fn stat_groups(conn: &mut DbConn) -> Result<Vec<StatGroup>> {
    let groups: Vec<StoredGroup> = activities::table
        .filter(sql::<Bool>(APPROVED))
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
    groups
        .into_iter()
        .map(|(c, m, k, p, i, n)| {
            let kind = Kind::try_from(k).map_err(|e| Error::Corrupt(e.to_string()))?;
            Ok((slug_of(&slugs, &c)?, m, kind, p, i, n))
        })
        .collect()
}

fn slug_of(slugs: &std::collections::HashMap<String, String>, id: &str) -> Result<String> {
    slugs
        .get(id)
        .cloned()
        .ok_or_else(|| Error::Corrupt(format!("activity of unknown campaign {id}")))
}

/// Campaign id → slug for the campaigns that `needed` names, in one small query (a page
/// names one or a few; the pages themselves are cached per generation).
fn campaign_slugs(conn: &mut DbConn, needed: &[&str]) -> Result<std::collections::HashMap<String, String>> {
    let mut ids: Vec<&str> = needed.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(campaigns::table
        .filter(campaigns::id.eq_any(ids))
        .select((campaigns::id, campaigns::slug))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
