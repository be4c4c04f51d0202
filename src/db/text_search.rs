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
use diesel::sql_types::{BigInt, Text};
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

/// How many of the newest approved activities PostgreSQL tests for every text search, to
/// judge how dense its matches are (a walk of the listing index).
const PG_SAMPLE: i64 = 1_000;

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

/// How many approved activities contain `q`, counted in its search index: on SQLite exactly
/// and without visiting the table (the index holds exactly the approved activities); on
/// PostgreSQL up to [`PG_COUNT_LIMIT`].
pub fn matches(conn: &mut DbConn, q: &str) -> Result<Total> {
    match conn.backend() {
        Backend::Sqlite => {
            let (index, phrase) = sqlite_index(q);
            let row: super::Count =
                diesel::sql_query(format!("SELECT count(*) AS n FROM {index} WHERE {index} MATCH ?"))
                    .bind::<Text, _>(phrase)
                    .get_result(conn)?;
            Ok(Total::exact(row.n))
        }
        Backend::Postgres => {
            let sampled = pg_sample(conn, q)?;
            let rows = row_estimate(conn)?;
            pg_matches(conn, q, sampled, rows)
        }
    }
}

/// [`matches`] on PostgreSQL, with the [`pg_sample`] of `q` taken and the [`row_estimate`].
pub fn pg_matches(conn: &mut DbConn, q: &str, sampled: Density, rows: i64) -> Result<Total> {
    let dense = pg_dense(sampled, rows);
    // Dense matches are counted walking the listing index from the newest (no sort, which
    // a table without statistics would get); sparse ones through the index (no sequential
    // scan: under the LIMIT the planner may prefer testing LIKE row by row, about 2.4 µs a
    // row, tens of milliseconds for a query of some thousand matches).
    let settings = if dense {
        "SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off;"
    } else {
        "SET LOCAL enable_seqscan = off;"
    };
    pg_counting(conn, settings, |conn| pg_count(conn, q, dense))
}

/// Runs a PostgreSQL count of matches up to the limit in a transaction of its own, with
/// `settings` and [`PG_COUNT_SETTINGS`]. Not for use inside another transaction: there it
/// is a savepoint, and `SET LOCAL` would hold until the outer transaction ends.
pub fn pg_counting<T>(conn: &mut DbConn, settings: &str, count: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    super::transaction_on(conn, |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!("{settings} {PG_COUNT_SETTINGS}"))?;
        count(conn)
    })
}

/// What a count through a search index needs on PostgreSQL:
/// - A bitmap of every match that stays exact. With the default 4 MB of `work_mem`, the
///   bitmap of a broad pair at 1M rows (94k matches) turned lossy, and PostgreSQL tested
///   every row of a lossy page again with `short_search_grams()` (~30 µs a row): 155–199 ms
///   against 31–36 ms with 16 MB. An exact bitmap of 1M rows takes a few megabytes, and only
///   while the count runs.
/// - No parallel workers: on a server answering many requests they start processes for a
///   few milliseconds of work (53 ms with two workers against 37 ms without, the same count).
pub const PG_COUNT_SETTINGS: &str = "SET LOCAL work_mem = '16MB'; SET LOCAL max_parallel_workers_per_gather = 0;";

/// PostgreSQL's count of the activities containing `q`, up to the limit: `dense`, by
/// testing rows in turn; otherwise through the gram or trigram index.
fn pg_count(conn: &mut DbConn, q: &str, dense: bool) -> Result<Total> {
    let limit = PG_COUNT_LIMIT + 1;
    let row: super::Count = match pg_gram_key(q) {
        // Dense matches: the first PG_COUNT_LIMIT are found within a few rows each, walking
        // from the newest, the rows the sample judged.
        _ if dense => diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM activities WHERE status = 'approved' AND strpos(search_text, $1) > 0 \
             ORDER BY approved_at DESC, id DESC LIMIT $2) AS m",
        )
        .bind::<Text, _>(q)
        .bind::<BigInt, _>(limit)
        .get_result(conn)?,
        Some(key) => diesel::sql_query(format!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM activities WHERE {PG_SHORT_MATCH}$1{PG_SHORT_END} LIMIT $2) AS m"
        ))
        .bind::<BigInt, _>(key)
        .bind::<BigInt, _>(limit)
        .get_result(conn)?,
        None => diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM activities WHERE status = 'approved' AND search_text LIKE $1 LIMIT $2) AS m",
        )
        .bind::<Text, _>(pg_like_pattern(q))
        .bind::<BigInt, _>(limit)
        .get_result(conn)?,
    };
    Ok(capped(row.n))
}

/// How many of the newest [`PG_SAMPLE`] approved activities contain `q` (PostgreSQL: a walk
/// of the listing index, about a millisecond). Sequential scans and sorts are switched off
/// for it (SET LOCAL, so until the end of the transaction: callers run it in a transaction
/// of its own): without statistics (a table not yet analyzed) the planner sorted the whole
/// table instead.
pub fn pg_sample(conn: &mut DbConn, q: &str) -> Result<Density> {
    super::transaction_on(conn, |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off;")?;
        pg_sample_in(conn, q)
    })
}

fn pg_sample_in(conn: &mut DbConn, q: &str) -> Result<Density> {
    Ok(diesel::sql_query(
        "SELECT count(*) FILTER (WHERE strpos(newest.search_text, $2) > 0) AS matched, count(*) AS tested \
         FROM (SELECT search_text FROM activities WHERE status = 'approved' \
         ORDER BY approved_at DESC, id DESC LIMIT $1) AS newest",
    )
    .bind::<BigInt, _>(PG_SAMPLE)
    .bind::<Text, _>(q)
    .get_result(conn)?)
}

/// What [`pg_sample`] found: `matched` of the `tested` newest approved activities (fewer
/// than PG_SAMPLE where there are fewer) contain the query.
#[derive(Debug, Clone, Copy, diesel::QueryableByName)]
pub struct Density {
    #[diesel(sql_type = BigInt)]
    pub matched: i64,
    #[diesel(sql_type = BigInt)]
    pub tested: i64,
}

impl Density {
    fn share(self) -> f64 {
        self.matched as f64 / self.tested.max(1) as f64
    }
}

/// Whether counting up to the limit is cheaper by testing rows in turn than through the
/// index, for `sampled` matches of PG_SAMPLE among about `rows`. Measured at 1M rows:
/// testing a row from the newest costs about 1.7 µs, so finding the limit costs
/// `1.7 * limit / density` µs; the index marks each of its `density * rows` matches in
/// 0.14–0.32 µs (about 0.2) before the first is visited (94k matches: 30 ms, 868k: 119 ms).
fn pg_dense(sampled: Density, rows: i64) -> bool {
    let density = sampled.share();
    density * density * (0.2 / 1.7) * rows as f64 >= PG_COUNT_LIMIT as f64
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

/// The plan for a page of `limit` of a search for `q` alone, from how many activities match:
/// counted on SQLite, estimated from a sample on PostgreSQL.
pub fn plan_for(conn: &mut DbConn, q: &str, limit: i64) -> Result<SearchPlan> {
    let rows = row_estimate(conn)?;
    let matches = match conn.backend() {
        Backend::Sqlite => matches(conn, q)?.n,
        Backend::Postgres => pg_estimate(pg_sample(conn, q)?, rows),
    };
    Ok(SearchPlan::choose_on(conn.backend(), matches, rows, limit))
}

/// About how many of `rows` contain a query, from its sample.
pub fn pg_estimate(sampled: Density, rows: i64) -> i64 {
    (sampled.share() * rows as f64) as i64
}

/// An upper bound of the activity rows: the end of activities_seq_key (SQLite); on
/// PostgreSQL the live rows its statistics count as rows are written (the planner's
/// `reltuples` is stale, or -1, until the table is next analyzed, e.g. right after a bulk
/// load), or `reltuples` where the statistics were reset. The count is read with the
/// function behind `pg_stat_user_tables.n_live_tup`: planning that view (a join of five
/// catalogs with a group) took 1–3 ms, against 0.05 ms, in every cold search.
pub fn row_estimate(conn: &mut DbConn) -> Result<i64> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT IFNULL(MAX(seq), 0) AS n FROM activities",
        Backend::Postgres => {
            "SELECT GREATEST(pg_stat_get_live_tuples(c.oid), c.reltuples, 0)::bigint AS n \
             FROM pg_class c WHERE c.oid = 'activities'::regclass"
        }
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
    fn postgres_counts_dense_matches_by_testing_rows() {
        use super::pg_dense;
        let of_1000 = |matched| super::Density { matched, tested: 1000 };
        assert!(pg_dense(of_1000(870), 100_000) && !pg_dense(of_1000(200), 100_000));
        // At 1M rows the index has more to mark, so the walk wins sooner.
        assert!(pg_dense(of_1000(200), 1_000_000) && !pg_dense(of_1000(50), 1_000_000));
        // トオ at 1M (a tenth of the newest): a walk of 10k rows, 18 ms, against 30 ms for
        // the bitmap of its 94k matches.
        assert!(pg_dense(of_1000(100), 1_000_000));
        // A small table is judged by the rows it has.
        assert_eq!(super::pg_estimate(super::Density { matched: 5, tested: 10 }, 10), 5);
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
