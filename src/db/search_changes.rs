//! The search index changes of the SQLite write connection, applied once per commit.
//!
//! FTS5 writes the changes it holds in memory to a new segment of its index at every
//! savepoint, and the write connection runs each transaction body in a savepoint of a
//! shared transaction (see [`super::Writer`]): every approval cost a segment flush and its
//! share of the merges that follow, a quarter of that thread's time at 100k rows. On that
//! connection `search_deferred()` is true, so the triggers on `activities` note what changed
//! in `search_changes` instead (migration 2026-12-07-000001), and the write thread applies
//! the notes with [`apply`] just before it commits, in the same transaction. Every other
//! connection (seeding, migrations, the command line) changes the indexes at once.

use super::{DbConn, Result};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl, SqliteConnection};
use std::collections::BTreeMap;

diesel::define_sql_function! {
    /// Whether the triggers on `activities` note search index changes instead of making them.
    fn search_deferred() -> diesel::sql_types::Bool;
}

/// Registers `search_deferred()` on a connection: `true` only on the write connection.
pub fn register(conn: &mut SqliteConnection, deferred: bool) -> QueryResult<()> {
    search_deferred_utils::register_impl(conn, move || deferred)
}

#[derive(QueryableByName)]
struct Note {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Nullable<Text>)]
    search_text: Option<String>,
}

/// What one activity's notes add up to.
struct Net {
    /// Its first note removed it, so it was in the indexes before the group.
    was_indexed: bool,
    /// The text of its last note, if that note put it (back) in.
    text: Option<String>,
}

/// [`apply`] on a database that has the notes table (a database without the registry's
/// schema, as in the write thread's own tests, has nothing to apply).
pub fn apply_if_noted(conn: &mut DbConn) -> Result<()> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let found: Found =
        diesel::sql_query("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'search_changes'")
            .get_result(conn)?;
    if found.n == 0 {
        return Ok(());
    }
    apply(conn)
}

/// Applies the noted changes to both search indexes and forgets them. Per activity, only
/// the start and the end count: it leaves the indexes if it was in them, and enters them
/// with its last text if it ends approved.
pub fn apply(conn: &mut DbConn) -> Result<()> {
    let notes: Vec<Note> = diesel::sql_query("SELECT seq, search_text FROM search_changes ORDER BY n").load(conn)?;
    if notes.is_empty() {
        return Ok(());
    }
    let mut net: BTreeMap<i64, Net> = BTreeMap::new();
    for note in notes {
        net.entry(note.seq)
            .and_modify(|n| n.text.clone_from(&note.search_text))
            .or_insert(Net {
                was_indexed: note.search_text.is_none(),
                text: note.search_text,
            });
    }
    for (seq, n) in net {
        if n.was_indexed {
            for sql in [
                "DELETE FROM activities_search WHERE rowid = ?",
                "DELETE FROM activities_grams WHERE rowid = ?",
            ] {
                diesel::sql_query(sql).bind::<BigInt, _>(seq).execute(conn)?;
            }
        }
        if let Some(text) = n.text {
            for sql in [
                "INSERT INTO activities_search (rowid, search_text) VALUES (?, ?)",
                "INSERT INTO activities_grams (rowid, grams) VALUES (?, search_grams(?))",
            ] {
                diesel::sql_query(sql)
                    .bind::<BigInt, _>(seq)
                    .bind::<Text, _>(&text)
                    .execute(conn)?;
            }
        }
    }
    diesel::sql_query("DELETE FROM search_changes").execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{migrate, open, transaction_on, Count, DbTarget};
    use diesel::connection::SimpleConnection;

    fn matches(conn: &mut DbConn, table: &str, query: &str) -> Vec<i64> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            rowid: i64,
        }
        let sql = format!("SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid");
        diesel::sql_query(sql)
            .bind::<Text, _>(query)
            .load::<Row>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.rowid)
            .collect()
    }

    fn note(conn: &mut DbConn, seq: i64, text: Option<&str>) {
        diesel::sql_query("INSERT INTO search_changes (seq, search_text) VALUES (?, ?)")
            .bind::<BigInt, _>(seq)
            .bind::<Nullable<Text>, _>(text)
            .execute(conn)
            .unwrap();
    }

    /// Every way an activity's notes of one group can go: each ends as the indexes would be
    /// had the triggers changed them at once.
    #[test]
    fn only_the_start_and_the_end_of_each_activity_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db").to_str().unwrap().to_owned();
        let mut conn = open(&DbTarget::Sqlite(path)).unwrap();
        migrate(&mut conn).unwrap();
        // Activities 1, 2 and 5 are in the indexes before the group.
        conn.batch_execute(
            "INSERT INTO activities_search (rowid, search_text) VALUES (1, 'alpha one'), (2, 'bravo two'), (5, 'echo five');
             INSERT INTO activities_grams (rowid, grams) VALUES (1, search_grams('alpha one')), (2, search_grams('bravo two')), (5, search_grams('echo five'));",
        )
        .unwrap();
        transaction_on(&mut conn, |conn| {
            note(conn, 1, None); // 1: its text is edited (leaves, enters again)
            note(conn, 1, Some("alpha new"));
            note(conn, 2, None); // 2: unpublished
            note(conn, 3, Some("charlie three")); // 3: approved
            note(conn, 4, Some("delta four")); // 4: approved, then unpublished
            note(conn, 4, None);
            note(conn, 5, None); // 5: unpublished, approved again, edited
            note(conn, 5, Some("echo again"));
            note(conn, 5, None);
            note(conn, 5, Some("echo last"));
            apply(conn)
        })
        .unwrap();
        assert_eq!(matches(&mut conn, "activities_search", "\"alpha\""), vec![1]);
        assert_eq!(matches(&mut conn, "activities_search", "\"one\""), Vec::<i64>::new());
        assert_eq!(matches(&mut conn, "activities_search", "\"new\""), vec![1]);
        assert_eq!(matches(&mut conn, "activities_search", "\"bravo\""), Vec::<i64>::new());
        assert_eq!(matches(&mut conn, "activities_search", "\"charlie\""), vec![3]);
        assert_eq!(matches(&mut conn, "activities_search", "\"delta\""), Vec::<i64>::new());
        assert_eq!(matches(&mut conn, "activities_search", "\"echo\""), vec![5]);
        assert_eq!(matches(&mut conn, "activities_search", "\"last\""), vec![5]);
        assert_eq!(matches(&mut conn, "activities_search", "\"again\""), Vec::<i64>::new());
        // The short-query index agrees: "w" was in "bravo two" and is in "alpha new".
        let w = crate::domain::text::search_gram("w").unwrap();
        assert_eq!(matches(&mut conn, "activities_grams", &format!("\"{w}\"")), vec![1]);
        let n = diesel::sql_query("SELECT count(*) AS n FROM search_changes")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n;
        assert_eq!(n, 0, "the notes are forgotten once applied");
    }
}
