//! How the public listing finds its text: the search indexes of each backend and the choice
//! between them by the density of the matches.
//!
//! - Queries of [`TRIGRAM`] characters or more use the trigram index (SQLite FTS5
//!   `activities_search`, PostgreSQL `pg_trgm`).
//! - Shorter ones use the index of characters and character pairs: SQLite's FTS5
//!   `activities_grams`, PostgreSQL's GIN index over `short_search_grams(search_text)`.
//! - [`SearchPlan::choose_on`] decides how a page is read, by how many activities match.
//! - PostgreSQL counts matches up to [`PG_COUNT_LIMIT`] (a count visits every match in the
//!   table); beyond it the total is a lower bound.

use super::{Backend, DbConn, Result};
use crate::domain::page::Total;
use diesel::RunQueryDsl;

/// Queries of this many characters or more use the trigram index; shorter ones the index of
/// characters and character pairs.
pub const TRIGRAM: usize = 3;

/// A query of 1 or 2 characters.
pub fn is_short(q: &str) -> bool {
    q.chars().nth(TRIGRAM - 1).is_none()
}

/// An FTS5 phrase for `s`: with the trigram tokenizer, a phrase matches as a substring.
fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The SQLite search index that answers `q` and the MATCH expression for it.
pub fn sqlite_index(q: &str) -> (&'static str, String) {
    match crate::domain::text::search_gram(q) {
        Some(token) => ("activities_grams", fts_phrase(&token)),
        None => ("activities_search", fts_phrase(q)),
    }
}

/// PostgreSQL's test of a short query against its gram index, with the index's predicate as
/// a literal (see the migration 2026-12-10); followed by the bound key and [`PG_SHORT_END`].
pub const PG_SHORT_MATCH: &str =
    "activities.status = 'approved' AND short_search_grams(activities.search_text) @> ARRAY[CAST(";
pub const PG_SHORT_END: &str = " AS bigint)]";

/// PostgreSQL counts the matches of a text search up to this many: beyond it, the total is
/// a lower bound. Counting visits each match in the table, so the broad queries (テ, テレワ:
/// most of the activities) would cost a scan for a number nobody reads exactly; 1,000 keeps
/// a cold count near a millisecond.
pub const PG_COUNT_LIMIT: i64 = 1_000;

/// PostgreSQL's estimate of the activity rows, a scalar query: the live rows its statistics
/// count as rows are written (the planner's `reltuples` is stale, or -1, until the table is
/// next analyzed, e.g. right after a bulk load), or `reltuples` where the statistics were
/// reset. The count is read with the function behind `pg_stat_user_tables.n_live_tup`:
/// planning that view (a join of five catalogs with a group) took 1–3 ms, against 0.05 ms,
/// in every cold search.
pub const PG_ROW_ESTIMATE: &str = "SELECT GREATEST(pg_stat_get_live_tuples(c.oid), c.reltuples, 0)::bigint \
    FROM pg_class c WHERE c.oid = 'activities'::regclass";

/// PostgreSQL's key for a query of 1 or 2 characters in `short_search_grams`: a character's
/// code point, or a * 1114112 + b for the pair (a, b).
pub fn pg_gram_key(q: &str) -> Option<i64> {
    let mut chars = q.chars().map(|c| c as i64);
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), None, _) => Some(a),
        (Some(a), Some(b), None) => Some(a * 0x11_0000 + b),
        _ => None,
    }
}

/// How a page of a text search is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPlan {
    /// Walk a listing index in order and test each row's text: cheap when matches are
    /// dense, since a page is found after about `limit / density` rows.
    Scan,
    /// SQLite: walk a listing index in order and test each entry's `seq` against the
    /// matches read from the search index, visiting only the rows that match.
    /// PostgreSQL: the same as `Matches` (its planner combines the index and the order).
    Walk,
    /// Read the matches from the search index and sort them: cheap when they are few.
    Matches,
}

impl SearchPlan {
    /// The cheapest plan by estimated cost, for `matches` of about `rows` rows and a page of
    /// `limit`. The costs per row are measured on the seeded data (microseconds): visiting a
    /// table row about 2 (6 when it is also sorted), testing an index entry against the
    /// matches 0.2, collecting a match from the search index 0.3. `rows` may overestimate;
    /// that only favours reading the matches.
    pub fn choose(matches: i64, rows: i64, limit: i64) -> Self {
        Self::choose_on(Backend::Sqlite, matches, rows, limit)
    }

    /// [`SearchPlan::choose`] for `backend`. PostgreSQL has no walk that tests the matches
    /// without visiting rows: it scans when that visits fewer than three rows per match read.
    /// Measured at 100k rows: the scan tests a row in about 0.9 µs (strpos in listing
    /// order, the heap pages read in turn); reading the matches costs about 3 µs a match
    /// through the gram index and 5 µs through pg_trgm (a heap page each, LIKE rechecked),
    /// plus their sort.
    pub fn choose_on(backend: Backend, matches: i64, rows: i64, limit: i64) -> Self {
        let (m, n, l) = (matches.max(1) as f64, rows.max(1) as f64, (limit + 1) as f64);
        let walked = l * n / m;
        let scan = walked * 2.0;
        let walk = m * 0.3 + walked * 0.2 + l * 2.0;
        let read = m * 6.0;
        if backend == Backend::Postgres {
            return if walked <= 3.0 * m { Self::Scan } else { Self::Matches };
        }
        if scan <= walk && scan <= read {
            Self::Scan
        } else if walk <= read {
            Self::Walk
        } else {
            Self::Matches
        }
    }
}

/// The LIKE pattern of a substring search on PostgreSQL. Backslash is PostgreSQL's default
/// LIKE escape; an explicit (bound) ESCAPE would turn the pattern into like_escape(…), which
/// the trigram index cannot serve.
pub fn pg_like_pattern(q: &str) -> String {
    format!("%{}%", super::like_escape(q))
}

/// A PostgreSQL count of at most `PG_COUNT_LIMIT + 1` rows as a [`Total`].
pub fn capped(n: i64) -> Total {
    if n > PG_COUNT_LIMIT {
        Total {
            n: PG_COUNT_LIMIT,
            lower_bound: true,
        }
    } else {
        Total::exact(n)
    }
}

/// An upper bound of the activity rows: the end of activities_seq_key (SQLite); on
/// PostgreSQL [`PG_ROW_ESTIMATE`].
pub fn row_estimate(conn: &mut DbConn) -> Result<i64> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT IFNULL(MAX(seq), 0) AS n FROM activities",
        Backend::Postgres => &format!("SELECT ({PG_ROW_ESTIMATE}) AS n"),
    };
    let row: super::Count = diesel::sql_query(sql).get_result(conn)?;
    Ok(row.n)
}

#[cfg(test)]
mod tests {
    use super::{capped, is_short, pg_gram_key, Backend, SearchPlan, PG_COUNT_LIMIT};

    #[test]
    fn search_plans_follow_the_density_of_matches() {
        // 100,000 rows, a first page of 100.
        assert_eq!(SearchPlan::choose(90_000, 100_000, 100), SearchPlan::Scan);
        assert_eq!(SearchPlan::choose(2_000, 100_000, 100), SearchPlan::Walk);
        assert_eq!(SearchPlan::choose(50, 100_000, 100), SearchPlan::Matches);
        assert_eq!(SearchPlan::choose(0, 100_000, 100), SearchPlan::Matches);
        // The same share of matches is a walk at 1M rows where it is a scan at 10k.
        assert_eq!(SearchPlan::choose(200_000, 1_000_000, 100), SearchPlan::Scan);
        assert_eq!(SearchPlan::choose(20_000, 1_000_000, 100), SearchPlan::Walk);
    }

    #[test]
    fn postgres_scans_when_that_visits_fewer_than_three_rows_per_match() {
        let pg = |m, n, l| SearchPlan::choose_on(Backend::Postgres, m, n, l);
        assert_eq!(pg(90_000, 100_000, 100), SearchPlan::Scan);
        assert_eq!(pg(10_000, 100_000, 100), SearchPlan::Scan);
        // 5,050 rows walked for 2,000 matches (セミ, ワーケ at 100k: 3–5 ms against 8–16).
        assert_eq!(pg(2_000, 100_000, 100), SearchPlan::Scan);
        assert_eq!(pg(1_000, 100_000, 100), SearchPlan::Matches);
        assert_eq!(pg(0, 100_000, 100), SearchPlan::Matches);
    }

    #[test]
    fn postgres_keys_of_characters_and_pairs_never_collide() {
        assert_eq!(pg_gram_key("a"), Some(0x61));
        assert_eq!(pg_gram_key("在"), Some(0x5728));
        assert_eq!(pg_gram_key("在宅"), Some(0x5728 * 0x11_0000 + 0x5b85));
        // The largest character stays below the smallest pair.
        assert!(pg_gram_key("\u{10ffff}") < pg_gram_key("\u{1}\u{0}"));
        assert_eq!(pg_gram_key(""), None);
        assert_eq!(pg_gram_key("研修会"), None);
    }

    #[test]
    fn postgres_counts_stop_at_the_limit() {
        assert_eq!(capped(3).n, 3);
        assert!(!capped(PG_COUNT_LIMIT).lower_bound);
        let over = capped(PG_COUNT_LIMIT + 1);
        assert!(over.lower_bound && over.n == PG_COUNT_LIMIT);
    }

    #[test]
    fn short_queries_have_one_or_two_characters() {
        assert!(is_short("在") && is_short("在宅") && is_short("ab"));
        assert!(!is_short("研修会") && !is_short("abc"));
    }
}
