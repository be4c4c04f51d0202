//! One seeded set in SQLite and in PostgreSQL: every text search of 1 to 4 characters finds
//! the same activities in the same order on both, through every plan, with the same total
//! (on PostgreSQL a lower bound past its counting limit).

use crate::common::TestDb;
use crate::plan_util::load;
use telework_registry::api::page::Cursor;
use telework_registry::db::public::{self, PublicFilter, SearchPlan};
use telework_registry::db::text_search::{self, PG_COUNT_LIMIT};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};
use telework_registry::domain::page::Total;

fn open(url: &str) -> db::Pool {
    let target = DbTarget::parse(url).unwrap();
    let options = PoolOptions {
        max_size: 1,
        timeout: std::time::Duration::from_secs(5),
        statement_timeout: None,
    };
    let pool = db::connect(&target, &options).unwrap();
    db::migrate(&mut pool.get().unwrap()).unwrap();
    pool
}

fn ids(rows: public::Rows) -> Vec<String> {
    rows.into_iter().map(|(r, _)| r.id).collect()
}

/// Every page of `f`, `limit` at a time, following the cursors; each later page is also
/// asked without the total known, and counts the same.
fn paged(conn: &mut DbConn, f: &PublicFilter, limit: i64) -> (Vec<String>, Total) {
    let (mut all, mut cursor, mut total) = (Vec::new(), None::<Cursor>, None);
    loop {
        let (mut rows, n) = public::page(conn, f, cursor.as_ref(), limit, total).unwrap();
        if cursor.is_some() {
            let (again, counted) = public::page(conn, f, cursor.as_ref(), limit, None).unwrap();
            assert_eq!((ids(again), counted), (ids(rows.clone()), n), "{f:?} after {cursor:?}");
        }
        total = Some(n);
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        cursor = rows.last().map(|(r, _)| Cursor {
            at: r.approved_at.unwrap(),
            id: r.id.clone(),
        });
        all.extend(ids(rows));
        if !more {
            return (all, n);
        }
    }
}

#[test]
fn both_backends_find_the_same_activities() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        // The comparison needs PostgreSQL: it runs in the suite's PostgreSQL run.
        return;
    }
    let pg_db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("same.db").display());
    let (sqlite, pg) = (open(&sqlite_url), open(&pg_db.url));
    let (mut lite, mut post) = (sqlite.get().unwrap(), pg.get().unwrap());
    load(&mut lite, 3000);
    load(&mut post, 3000);
    let queries = [
        "テ",
        "ク",
        "テレ",
        "レワ",
        "在",
        "在宅",
        "宅勤",
        "と",
        "の取",
        "取り組",
        "取り組み",
        "サ",
        "サテ",
        "サテラ",
        "研修",
        "dx",
        "x",
        "9",
        "99",
        "100",
        "0%",
        "%",
        "_",
        "a_",
        "a_b",
        " a",
        "団",
        "zz",
        "ン会",
        "働き方改",
    ];
    let mut compared = 0;
    for q in queries {
        for prefecture in [None, Some("13".to_owned())] {
            let f = PublicFilter {
                q: Some(q.into()),
                prefecture,
                ..Default::default()
            };
            let what = format!("{q:?} {:?}", f.prefecture);
            let expected = ids(public::list(&mut lite, &f, None, 5000).unwrap());
            for plan in [SearchPlan::Scan, SearchPlan::Walk, SearchPlan::Matches] {
                let got = ids(public::list_with(&mut post, &f, None, 5000, Some(plan)).unwrap());
                assert_eq!(got, expected, "{what} {plan:?}");
            }
            assert_eq!(
                ids(public::list(&mut post, &f, None, 5000).unwrap()),
                expected,
                "{what}"
            );
            let count = expected.len() as i64;
            // PostgreSQL counts up to its limit; SQLite exactly.
            let pg_total = text_search::capped(count);
            assert_eq!(public::count(&mut lite, &f).unwrap(), Total::exact(count), "{what}");
            assert_eq!(public::count(&mut post, &f).unwrap(), pg_total, "{what}");
            for limit in [13, 100] {
                let (lite_pages, lite_total) = paged(&mut lite, &f, limit);
                let (pg_pages, post_total) = paged(&mut post, &f, limit);
                assert_eq!(
                    (lite_total, &lite_pages),
                    (Total::exact(count), &expected),
                    "{what} SQLite {limit}"
                );
                assert_eq!((post_total, &pg_pages), (pg_total, &expected), "{what} limit {limit}");
            }
            compared += count;
        }
    }
    // With a session filter too, no activity of the set has a session: nothing matches,
    // and the totals say so.
    let with_sessions = PublicFilter {
        q: Some("テ".into()),
        sessions_between: Some((None, None)),
        ..Default::default()
    };
    for conn in [&mut lite, &mut post] {
        assert!(public::list(conn, &with_sessions, None, 100).unwrap().is_empty());
        assert_eq!(public::count(conn, &with_sessions).unwrap(), Total::exact(0));
        assert_eq!(
            public::page(conn, &with_sessions, None, 20, None).unwrap().1,
            Total::exact(0)
        );
    }
    // The set is not trivially empty: most queries find something.
    assert!(compared > 20_000, "only {compared} matches compared");
}

/// Where more than PG_COUNT_LIMIT activities contain a one-character query, PostgreSQL counts
/// up to the limit and says the total is a lower bound; the items are all there, in order,
/// and a rarer query is still counted exactly.
#[test]
fn postgres_counts_the_broadest_short_queries_up_to_a_limit() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return;
    }
    let pg_db = TestDb::new();
    let pool = open(&pg_db.url);
    let conn = &mut *pool.get().unwrap();
    // Nine in ten are approved: 1,800 of them, each containing "と".
    load(conn, 2_000);
    let broad = PublicFilter {
        q: Some("と".into()),
        ..Default::default()
    };
    let at_least = Total {
        n: PG_COUNT_LIMIT,
        lower_bound: true,
    };
    assert_eq!(public::count(conn, &broad).unwrap(), at_least);
    let (page, total) = public::page(conn, &broad, None, 20, None).unwrap();
    assert_eq!((page.len(), total), (21, at_least));
    let all = ids(public::list(conn, &broad, None, 20_000).unwrap());
    assert_eq!(all.len(), 1_800);
    assert_eq!(&all[..21], &ids(page)[..]);
    // With another filter too, the count stops at the limit or is exact below it.
    let with_category = PublicFilter {
        prefecture: Some("13".into()),
        ..broad.clone()
    };
    let n = ids(public::list(conn, &with_category, None, 20_000).unwrap()).len() as i64;
    assert!(n < PG_COUNT_LIMIT);
    assert_eq!(public::count(conn, &with_category).unwrap(), Total::exact(n));
    let rare = PublicFilter {
        q: Some("99".into()),
        ..Default::default()
    };
    let n = ids(public::list(conn, &rare, None, 20_000).unwrap()).len() as i64;
    assert!(n > 0);
    assert_eq!(public::count(conn, &rare).unwrap(), Total::exact(n));
}
