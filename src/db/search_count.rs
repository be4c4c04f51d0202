//! How many activities a text search matches: counted on SQLite; on PostgreSQL judged from a
//! sample of the newest approved activities and counted up to
//! [`text_search::PG_COUNT_LIMIT`].
//!
//! A cold PostgreSQL search is a few statements, and every statement costs a round trip and
//! its parse and plan (0.2–0.3 ms each) besides its work: the sample reads the row estimate
//! in the same statement, and a count known to be needed runs in the sample's transaction.

use super::text_search::{self, capped, pg_gram_key, pg_like_pattern, SearchPlan, PG_COUNT_LIMIT};
use super::{Backend, DbConn, Result};
use crate::domain::page::Total;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::RunQueryDsl;

/// How many of the newest approved activities PostgreSQL tests for every text search, to
/// judge how dense its matches are (a walk of the listing index).
const PG_SAMPLE: i64 = 1_000;

/// How many approved activities contain `q`, counted in its search index: on SQLite exactly
/// and without visiting the table (the index holds exactly the approved activities); on
/// PostgreSQL up to [`PG_COUNT_LIMIT`].
pub fn matches(conn: &mut DbConn, q: &str) -> Result<Total> {
    match conn.backend() {
        Backend::Sqlite => {
            let (index, phrase) = text_search::sqlite_index(q);
            let row: super::Count =
                diesel::sql_query(format!("SELECT count(*) AS n FROM {index} WHERE {index} MATCH ?"))
                    .bind::<Text, _>(phrase)
                    .get_result(conn)?;
            Ok(Total::exact(row.n))
        }
        Backend::Postgres => {
            let (_, total) = pg_sampled_then(conn, q, |conn, sampled| pg_count_for(conn, q, sampled))?;
            Ok(total)
        }
    }
}

/// The plan for a page of `limit` of a search for `q` alone, from how many activities match:
/// counted on SQLite, estimated from a sample on PostgreSQL.
pub fn plan_for(conn: &mut DbConn, q: &str, limit: i64) -> Result<SearchPlan> {
    let (matches, rows) = match conn.backend() {
        Backend::Sqlite => (matches(conn, q)?.n, text_search::row_estimate(conn)?),
        Backend::Postgres => {
            let sampled = pg_sample(conn, q)?;
            (sampled.estimate(), sampled.rows)
        }
    };
    Ok(SearchPlan::choose_on(conn.backend(), matches, rows, limit))
}

/// [`matches()`] on PostgreSQL, with the [`pg_sample`] of `q` taken, in a transaction of its
/// own.
pub fn pg_matches(conn: &mut DbConn, q: &str, sampled: Density) -> Result<Total> {
    pg_counting(conn, PG_SEARCH_SETTINGS, |conn| pg_count_for(conn, q, sampled))
}

/// The [`pg_sample`] of `q`, then `then` with it in the same transaction (where the
/// settings for a count hold: for [`pg_count_for`]).
pub fn pg_sampled_then<T>(
    conn: &mut DbConn,
    q: &str,
    then: impl FnOnce(&mut DbConn, Density) -> Result<T>,
) -> Result<(Density, T)> {
    pg_counting(conn, PG_SEARCH_SETTINGS, |conn| {
        let sampled = pg_sample_in(conn, q)?;
        Ok((sampled, then(conn, sampled)?))
    })
}

/// PostgreSQL's count of the activities containing `q` up to the limit, by the way its
/// `sampled` density makes cheaper. Inside [`pg_sampled_then`] or [`pg_counting`] only.
pub fn pg_count_for(conn: &mut DbConn, q: &str, sampled: Density) -> Result<Total> {
    pg_count(conn, q, pg_dense(sampled))
}

/// Runs a PostgreSQL count of matches up to the limit in a transaction of its own, with
/// `settings` and [`PG_COUNT_SETTINGS`]. Not for use inside another transaction: there it
/// is a savepoint, and `SET LOCAL` would hold until the outer transaction ends.
pub fn pg_counting<T>(conn: &mut DbConn, settings: &str, count: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    super::transaction_on(conn, |conn| {
        conn.batch_execute(&format!("{settings} {PG_COUNT_SETTINGS}"))?;
        count(conn)
    })
}

/// What the sample and the counts of a text search need besides [`PG_COUNT_SETTINGS`]:
/// without statistics (a table not yet analyzed) the planner sorted the whole table for the
/// sample, and under the LIMIT of a count it may prefer testing LIKE row by row (about
/// 2.4 µs a row, tens of milliseconds for a query of some thousand matches) to the index.
/// The dense count walks the listing index from the newest (no sort); the others have no
/// ORDER BY, so `enable_sort` changes nothing for them.
const PG_SEARCH_SETTINGS: &str = "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off;";

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
            "SELECT count(*) AS n FROM (SELECT 1 FROM activities WHERE {}$1{} LIMIT $2) AS m",
            text_search::PG_SHORT_MATCH,
            text_search::PG_SHORT_END
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
/// of the listing index, about a millisecond), with the [`text_search::PG_ROW_ESTIMATE`], in a
/// transaction of its own (for [`PG_SEARCH_SETTINGS`]).
pub fn pg_sample(conn: &mut DbConn, q: &str) -> Result<Density> {
    pg_sampled_then(conn, q, |_, _| Ok(())).map(|(sampled, ())| sampled)
}

fn pg_sample_in(conn: &mut DbConn, q: &str) -> Result<Density> {
    Ok(diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE strpos(newest.search_text, $2) > 0) AS matched, count(*) AS tested, \
         ({}) AS rows \
         FROM (SELECT search_text FROM activities WHERE status = 'approved' \
         ORDER BY approved_at DESC, id DESC LIMIT $1) AS newest",
        text_search::PG_ROW_ESTIMATE
    ))
    .bind::<BigInt, _>(PG_SAMPLE)
    .bind::<Text, _>(q)
    .get_result(conn)?)
}

/// What [`pg_sample`] found: `matched` of the `tested` newest approved activities (fewer
/// than PG_SAMPLE where there are fewer) contain the query, of about `rows` activities.
#[derive(Debug, Clone, Copy, diesel::QueryableByName)]
pub struct Density {
    #[diesel(sql_type = BigInt)]
    pub matched: i64,
    #[diesel(sql_type = BigInt)]
    pub tested: i64,
    #[diesel(sql_type = BigInt)]
    pub rows: i64,
}

impl Density {
    fn share(self) -> f64 {
        self.matched as f64 / self.tested.max(1) as f64
    }

    /// About how many of the `rows` contain the query.
    pub fn estimate(self) -> i64 {
        (self.share() * self.rows as f64) as i64
    }
}

/// Whether counting up to the limit is cheaper by testing rows in turn than through the
/// index, for `sampled` matches of PG_SAMPLE among about `rows`. Measured at 1M rows:
/// testing a row from the newest costs about 1.7 µs, so finding the limit costs
/// `1.7 * limit / density` µs; the index marks each of its `density * rows` matches in
/// 0.14–0.32 µs (about 0.2) before the first is visited (94k matches: 30 ms, 868k: 119 ms).
fn pg_dense(sampled: Density) -> bool {
    let density = sampled.share();
    density * density * (0.2 / 1.7) * sampled.rows as f64 >= PG_COUNT_LIMIT as f64
}

#[cfg(test)]
mod tests {
    use super::{pg_dense, Density};

    #[test]
    fn postgres_counts_dense_matches_by_testing_rows() {
        let sample = |matched, tested, rows| Density { matched, tested, rows };
        let of_1000 = |matched, rows| sample(matched, 1000, rows);
        assert!(pg_dense(of_1000(870, 100_000)) && !pg_dense(of_1000(200, 100_000)));
        // At 1M rows the index has more to mark, so the walk wins sooner.
        assert!(pg_dense(of_1000(200, 1_000_000)) && !pg_dense(of_1000(50, 1_000_000)));
        // トオ at 1M (a tenth of the newest): a walk of 10k rows, 18 ms, against 30 ms for
        // the bitmap of its 94k matches.
        assert!(pg_dense(of_1000(100, 1_000_000)));
        // A small table is judged by the rows it has.
        assert_eq!(sample(5, 10, 10).estimate(), 5);
    }
}
