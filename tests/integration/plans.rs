//! Query plans: the listing, filter, search and queue queries that the app really sends use
//! their indexes, on SQLite (`EXPLAIN QUERY PLAN`) and PostgreSQL (`EXPLAIN` of the generic
//! plan with sequential scans discouraged). A lost index fails here, not in production.

use crate::common::TestDb;
use crate::plan_util::*;
use telework_registry::api::page::Cursor;
use telework_registry::db::activities;
use telework_registry::db::duplicates::{self, Probe};
use telework_registry::db::public::{self, PublicFilter};
use telework_registry::db::queue::{self, QueueFilter};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};
use telework_registry::domain::page::Total;

#[test]
fn hot_queries_use_their_indexes() {
    let tdb = TestDb::new();
    let target = DbTarget::parse(&tdb.url).unwrap();
    let pool = db::connect(
        &target,
        &PoolOptions {
            max_size: 1,
            timeout: std::time::Duration::from_secs(5),
            statement_timeout: None,
        },
    )
    .unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let conn = &mut *conn;
    load(conn, 4000);
    let cursor = Cursor {
        at: db::now(),
        id: "0192f1a0-0000-7000-8000-000000000000".into(),
    };
    let sqlite = matches!(conn, DbConn::Sqlite(_));

    assert_indexed(conn, "public page 1", "activities_listing_idx", true, |c| {
        public::list(c, &PublicFilter::default(), None, 20).unwrap();
    });
    assert_indexed(conn, "public next page", "activities_listing_idx", true, |c| {
        public::list(c, &PublicFilter::default(), Some(&cursor), 20).unwrap();
    });
    // Later pages seek to the cursor instead of walking the index from the newest item.
    let seek = if sqlite {
        "(approved_at,id)<(?,?)"
    } else {
        "ROW(approved_at, id) < ROW("
    };
    let next_page = plans_of(conn, |c| {
        public::list(c, &PublicFilter::default(), Some(&cursor), 20).unwrap();
    });
    assert!(next_page.contains(seek), "public next page does not seek:\n{next_page}");
    let position = plans_of(conn, |c| {
        queue::queue_position(c, db::now(), "0192f1a0-0000-7000-8000-000000000000").unwrap();
    });
    // SQLite subtracts the items from this one on from the kept queue length.
    let seek = if sqlite {
        "(queued_at,id)>(?,?)"
    } else {
        "ROW(queued_at, id) < ROW("
    };
    assert!(
        position.contains("activities_queue_idx") && position.contains(seek),
        "queue position:\n{position}"
    );
    let by_prefecture = PublicFilter {
        prefecture: Some("13".into()),
        category_bits: Some(2),
        ..Default::default()
    };
    assert_indexed(
        conn,
        "public by prefecture and category",
        "activities_listing_prefecture_idx",
        true,
        |c| {
            public::list(c, &by_prefecture, None, 20).unwrap();
            public::count(c, &by_prefecture).unwrap();
        },
    );
    // Counting a filter with categories reads the index alone (category_mask is in it).
    let count_plan = plans_of(conn, |c| {
        public::count(c, &by_prefecture).unwrap();
    });
    let covering = if sqlite {
        "COVERING INDEX activities_listing_prefecture_idx"
    } else {
        "Index Only Scan"
    };
    assert!(
        count_plan.contains(covering),
        "count by prefecture and category:\n{count_plan}"
    );
    let by_campaign = PublicFilter {
        campaign_id: Some("x".into()),
        ..Default::default()
    };
    assert_indexed(
        conn,
        "public by campaign",
        "activities_listing_campaign_idx",
        true,
        |c| {
            public::list(c, &by_campaign, None, 20).unwrap();
        },
    );
    let search = PublicFilter {
        q: Some("サテライトオフィス".into()),
        ..Default::default()
    };
    let search_index = if sqlite {
        "VIRTUAL TABLE INDEX"
    } else {
        "activities_search_trgm_idx"
    };
    if sqlite {
        assert_indexed(conn, "public search", search_index, false, |c| {
            public::count(c, &search).unwrap();
        });
    } else {
        // PostgreSQL first tests the newest activities (a walk of the listing index) to
        // judge how dense the matches are, then counts these sparse ones in the index.
        let counted = plans_of(conn, |c| {
            public::count(c, &search).unwrap();
        });
        assert!(
            counted.contains(search_index)
                && counted.contains("activities_listing_idx")
                && !counted.contains("Seq Scan"),
            "count of a search:\n{counted}"
        );
    }
    // One- and two-character queries are counted in the gram index; a page of few matches
    // is read through the index (SQLite: and activities_seq_key), other pages walk the
    // listing index in order (testing the text, or on SQLite `seq` against the matches).
    let (gram_index, through_matches) = if sqlite {
        ("VIRTUAL TABLE INDEX", "activities_seq_key")
    } else {
        ("activities_short_search_idx", "activities_short_search_idx")
    };
    // On PostgreSQL the planner may walk the listing for dense matches whatever the plan
    // asked for, so its page through the matches is checked with sparse ones.
    let shorts: &[&str] = if sqlite {
        &["テ", "テレ"]
    } else {
        &["テ", "テレ", "99", "0%"]
    };
    for &q in shorts {
        let dense = q.starts_with('テ');
        let short = PublicFilter {
            q: Some(q.into()),
            ..Default::default()
        };
        let counted = plans_of(conn, |c| {
            public::count(c, &short).unwrap();
        });
        assert!(counted.contains(gram_index), "count {q}:\n{counted}");
        if sqlite || !dense {
            let read = plans_of(conn, |c| {
                public::list_with(c, &short, None, 20, Some(public::SearchPlan::Matches)).unwrap();
            });
            assert!(
                read.contains(through_matches) && !read.contains("activities_listing_idx"),
                "page of {q} through the matches:\n{read}"
            );
        }
        let walks = match (sqlite, dense) {
            (true, _) => vec![public::SearchPlan::Scan, public::SearchPlan::Walk],
            (false, true) => vec![public::SearchPlan::Scan],
            (false, false) => vec![],
        };
        for plan in walks {
            let walked = plans_of(conn, |c| {
                public::list_with(c, &short, None, 20, Some(plan)).unwrap();
            });
            assert!(
                walked.contains("activities_listing_idx")
                    && !walked.contains("TEMP B-TREE")
                    && !walked.contains("Sort")
                    && (plan == public::SearchPlan::Walk || !walked.contains(gram_index)),
                "page of {q} walking the listing ({plan:?}):\n{walked}"
            );
        }
    }
    {
        // The three plans give the same rows in the same order, and the count agrees,
        // whatever the density of the matches, with other filters and after a cursor (on
        // PostgreSQL, Walk is Matches, and queries of 3+ characters are planned by it).
        use public::SearchPlan::{Matches, Scan, Walk};
        for q in ["テ", "テレ", "と子", "サ", "サテライト", "推進", "9", "99", "zz"] {
            for prefecture in [None, Some("13".to_owned())] {
                let f = PublicFilter {
                    q: Some(q.into()),
                    prefecture: prefecture.clone(),
                    ..Default::default()
                };
                let ids = |c: &mut DbConn, plan, cursor: Option<&Cursor>, limit| -> Vec<String> {
                    public::list_with(c, &f, cursor, limit, Some(plan))
                        .unwrap()
                        .into_iter()
                        .map(|(r, _)| r.id)
                        .collect()
                };
                let all = ids(conn, Scan, None, 5000);
                assert_eq!(ids(conn, Walk, None, 5000), all, "{q} {prefecture:?}");
                assert_eq!(ids(conn, Matches, None, 5000), all, "{q} {prefecture:?}");
                // PostgreSQL counts up to its limit (search_backends checks it against SQLite).
                let n = all.len() as i64;
                let expected = if sqlite {
                    Total::exact(n)
                } else {
                    telework_registry::db::text_search::capped(n)
                };
                assert_eq!(public::count(conn, &f).unwrap(), expected, "{q} {prefecture:?}");
                let (page, total) = public::page(conn, &f, None, 20, None).unwrap();
                assert_eq!(total, expected);
                assert_eq!(
                    page.into_iter().map(|(r, _)| r.id).collect::<Vec<_>>(),
                    all.iter().take(21).cloned().collect::<Vec<_>>()
                );
                if all.len() > 30 {
                    let (row, _) = public::list_with(conn, &f, None, 9, Some(Scan)).unwrap().remove(9);
                    let after = Cursor {
                        at: row.approved_at.unwrap(),
                        id: row.id,
                    };
                    let expected: Vec<String> = all[10..31].to_vec();
                    for plan in [Scan, Walk, Matches] {
                        assert_eq!(
                            ids(conn, plan, Some(&after), 20),
                            expected,
                            "{q} {plan:?} after a cursor"
                        );
                    }
                }
            }
        }
    }
    assert_indexed(
        conn,
        "public by id",
        if sqlite {
            "sqlite_autoindex_activities_1"
        } else {
            "activities_pkey"
        },
        false,
        |c| {
            public::find(c, "0192f1a0-0000-7000-8000-000000000000").unwrap();
        },
    );
    assert_indexed(conn, "moderation queue", "activities_queue_idx", true, |c| {
        queue::queue(c, &QueueFilter::default(), None, 20).unwrap();
    });
    // The duplicate flags of a queue page: one lookup per rule, each on its index.
    let probe = |title: Option<&'static str>, organizer: Option<&'static str>| Probe {
        id: "0192f1a0-0000-7000-8000-000000000000",
        account_id: "0192f1a0-0000-7000-8000-000000000001",
        campaign_id: "0192f1a0-0000-7000-8000-000000000002",
        title_key: title,
        organizer_key: organizer,
    };
    assert_indexed(conn, "duplicates by title", "activities_title_key_idx", false, |c| {
        duplicates::of(c, &[probe(Some("テレワーク"), None)]).unwrap();
    });
    assert_indexed(
        conn,
        "duplicates by organizer",
        "activities_organizer_key_idx",
        false,
        |c| {
            duplicates::of(c, &[probe(None, Some("テレワーク"))]).unwrap();
        },
    );
    assert_indexed(conn, "queue of duplicates", "activities_queue_idx", true, |c| {
        let f = QueueFilter {
            duplicates: true,
            ..Default::default()
        };
        queue::queue(c, &f, None, 20).unwrap();
    });
    assert_indexed(conn, "own activities", "activities_owner_idx", true, |c| {
        activities::list_own(c, "0192f1a0-0000-7000-8000-000000000000", (None, None), None, 20).unwrap();
    });
}
