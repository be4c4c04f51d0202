//! Query plans: the listing, filter, search and queue queries that the app really sends use
//! their indexes, on SQLite (`EXPLAIN QUERY PLAN`) and PostgreSQL (`EXPLAIN` of the generic
//! plan with sequential scans discouraged). A lost index fails here, not in production.

use crate::common::TestDb;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::sync::{Arc, Mutex};
use telework_registry::api::page::Cursor;
use telework_registry::db::activities::{self, QueueFilter};
use telework_registry::db::public::{self, PublicFilter};
use telework_registry::db::{self, DbConn, DbTarget, PoolOptions};

/// Records the SQL of every query a connection runs.
fn record(conn: &mut DbConn) -> Arc<Mutex<Vec<String>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let instrument = move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            sink.lock().unwrap().push(query.to_string());
        }
    };
    match conn {
        DbConn::Sqlite(c) => c.set_instrumentation(instrument),
        DbConn::Pg(c) => c.set_instrumentation(instrument),
    }
    log
}

fn stop_recording(conn: &mut DbConn) {
    let none: Option<Box<dyn Instrumentation>> = None;
    match conn {
        DbConn::Sqlite(c) => c.set_instrumentation(none),
        DbConn::Pg(c) => c.set_instrumentation(none),
    }
}

#[derive(QueryableByName)]
struct SqlitePlanRow {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    id: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanRow {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` as text lines.
fn plan(conn: &mut DbConn, recorded: &str) -> Vec<String> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", sql_of(recorded)))
            .load::<SqlitePlanRow>(c)
            .unwrap()
            .into_iter()
            .map(|r| r.detail)
            .collect(),
        DbConn::Pg(c) => {
            // On test-sized tables a scan is cheapest; ask whether an index can serve the
            // query (without one, the plan still shows a Seq Scan).
            diesel::sql_query("SET enable_seqscan = off").execute(c).unwrap();
            let lines = diesel::sql_query(format!("EXPLAIN {}", with_literals(recorded)))
                .load::<PgPlanRow>(c)
                .unwrap()
                .into_iter()
                .map(|r| r.line)
                .collect();
            diesel::sql_query("RESET enable_seqscan").execute(c).unwrap();
            lines
        }
    }
}

fn sql_of(recorded: &str) -> &str {
    recorded.split(" -- binds: ").next().unwrap_or(recorded)
}

/// The recorded PostgreSQL query with its `$n` parameters replaced by the values it was run
/// with, so that EXPLAIN shows the plan the server gets for them.
fn with_literals(recorded: &str) -> String {
    let (sql, binds) = recorded.split_once(" -- binds: ").unwrap_or((recorded, "[]"));
    let inner = binds.trim().trim_start_matches('[').trim_end_matches(']');
    // (text, was quoted) for each bind, from its Debug form.
    let mut values: Vec<(String, bool)> = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_str = false;
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if in_str => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                in_str = !in_str;
                quoted = true;
            }
            ',' if !in_str => values.push((std::mem::take(&mut cur).trim().to_owned(), std::mem::take(&mut quoted))),
            _ => cur.push(ch),
        }
    }
    if !cur.trim().is_empty() || quoted {
        values.push((cur.trim().to_owned(), quoted));
    }
    let mut out = sql.to_owned();
    for (i, (v, quoted)) in values.iter().enumerate().rev() {
        let literal = if !quoted && v.parse::<i64>().is_ok() {
            v.clone()
        } else {
            format!("'{}'", v.replace('\'', "''"))
        };
        out = out.replace(&format!("${}", i + 1), &literal);
    }
    out
}

/// The plans of every query `f` runs on activities, as one text.
fn plans_of(conn: &mut DbConn, f: impl FnOnce(&mut DbConn)) -> String {
    let log = record(conn);
    f(conn);
    stop_recording(conn);
    let queries: Vec<String> = log.lock().unwrap().clone();
    queries
        .iter()
        .filter(|q| sql_of(q).contains("activities"))
        .map(|q| plan(conn, q).join("\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `f`, then asserts that its queries touching `activities` read it through an index
/// (and, on SQLite, need no sort for ORDER BY when `sorted`).
fn assert_indexed(conn: &mut DbConn, what: &str, expect_index: &str, sorted: bool, f: impl FnOnce(&mut DbConn)) {
    let log = record(conn);
    f(conn);
    stop_recording(conn);
    let queries: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|q| sql_of(q).contains("activities"))
        .cloned()
        .collect();
    assert!(!queries.is_empty(), "{what}: no query on activities was recorded");
    for recorded in queries {
        let lines = plan(conn, &recorded);
        let sql = sql_of(&recorded);
        if std::env::var("SHOW_PLANS").is_ok() {
            eprintln!("{what}:\n  {sql}\n  {}", lines.join("\n  "));
        }
        let text = lines.join("\n");
        let scans_table = lines.iter().any(|l| {
            (l.starts_with("SCAN activities") && !l.contains("INDEX")) || l.contains("Seq Scan on activities")
        });
        assert!(!scans_table, "{what}: full scan of activities\n{sql}\n{text}");
        assert!(
            text.contains(expect_index),
            "{what}: expected {expect_index}\n{sql}\n{text}"
        );
        if sorted && matches!(conn, DbConn::Sqlite(_)) && sql.contains("ORDER BY") {
            assert!(
                !text.contains("TEMP B-TREE FOR ORDER BY"),
                "{what}: sorts instead of reading in order\n{text}"
            );
        }
    }
}

/// Loads `n` activities of one owner, mostly approved, spread over prefectures, categories
/// and texts, then refreshes the planner's statistics.
fn load(conn: &mut DbConn, n: usize) {
    use telework_registry::db::accounts::{self, NewAccount};
    use telework_registry::db::activities::ActivityRow;
    use telework_registry::db::campaigns::{self, CampaignRow};
    use telework_registry::domain::account::Profile;
    use telework_registry::domain::activity::ActivityText;
    let now = db::now();
    let profile = Profile::default();
    let owner = db::new_id();
    accounts::insert(
        conn,
        &NewAccount::new(
            &owner,
            "o@example.jp",
            "x",
            "registrant",
            Some("organization"),
            "o",
            &profile,
        ),
    )
    .unwrap();
    let campaign = db::new_id();
    let day = now.date();
    campaigns::insert(
        conn,
        &CampaignRow {
            id: campaign.clone(),
            slug: "plan".into(),
            title: "t".into(),
            starts_on: day,
            ends_on: day,
            registration_opens_at: now,
            registration_closes_at: now,
            created_at: now,
            updated_at: now,
        },
    )
    .unwrap();
    let words = [
        "テレワーク",
        "在宅勤務",
        "オンライン会議",
        "ワーケーション",
        "dx推進",
        "働き方改革",
        "子育て",
        "研修",
    ];
    db::transaction_on(conn, |conn| {
        for i in 0..n {
            let at = now - chrono::Duration::seconds(i as i64);
            let status = if i % 10 == 0 { "pending" } else { "approved" };
            let rare = if i % 100 == 0 {
                "サテライトオフィス"
            } else {
                ""
            };
            let text = format!(
                "{}と{}の取り組み{rare}{i}",
                words[i % words.len()],
                words[(i / 8) % words.len()]
            );
            let text = ActivityText {
                category_mask: (i % 7) as i32 + 1,
                title: text.clone(),
                description: text,
                organizer_name: "o".into(),
                starts_on: None,
                ends_on: None,
                format: None,
                prefecture: Some(format!("{:02}", i % 47 + 1)),
                url: None,
            };
            activities::insert(
                conn,
                &ActivityRow {
                    status: status.into(),
                    queued_at: (status == "pending").then_some(at),
                    approved_at: (status == "approved").then_some(at),
                    ..ActivityRow::draft(&owner, &campaign, "organization", None, text, at)
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
    // As autovacuum would: merge GIN's pending entries and refresh statistics.
    let refresh = if matches!(conn, DbConn::Pg(_)) {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    diesel::sql_query(refresh).execute(conn).unwrap();
}

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
        activities::queue_position(c, db::now(), "0192f1a0-0000-7000-8000-000000000000").unwrap();
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
    assert_indexed(conn, "public search", search_index, false, |c| {
        public::count(c, &search).unwrap();
    });
    if sqlite {
        // One- and two-character queries are counted in the gram index; a page of few
        // matches is read through the index and activities_seq_key, other pages walk the
        // listing index in order (testing the text, or `seq` against the matches).
        for q in ["テ", "テレ"] {
            let short = PublicFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            let counted = plans_of(conn, |c| {
                public::count(c, &short).unwrap();
            });
            assert!(counted.contains("VIRTUAL TABLE INDEX"), "count {q}:\n{counted}");
            let read = plans_of(conn, |c| {
                public::list_with(c, &short, None, 20, Some(public::SearchPlan::Matches)).unwrap();
            });
            assert!(
                read.contains("activities_seq_key") && !read.contains("activities_listing_idx"),
                "page of {q} through the matches:\n{read}"
            );
            for plan in [public::SearchPlan::Scan, public::SearchPlan::Walk] {
                let walked = plans_of(conn, |c| {
                    public::list_with(c, &short, None, 20, Some(plan)).unwrap();
                });
                assert!(
                    walked.contains("activities_listing_idx") && !walked.contains("TEMP B-TREE"),
                    "page of {q} walking the listing ({plan:?}):\n{walked}"
                );
            }
        }
    }
    if sqlite {
        // The three plans give the same rows in the same order, and the count agrees,
        // whatever the density of the matches, with other filters and after a cursor.
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
                assert_eq!(public::count(conn, &f).unwrap(), all.len() as i64, "{q} {prefecture:?}");
                let (page, total) = public::page(conn, &f, None, 20, None).unwrap();
                assert_eq!(total, all.len() as i64);
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
        activities::queue(c, &QueueFilter::default(), None, 20).unwrap();
    });
    assert_indexed(conn, "own activities", "activities_owner_idx", true, |c| {
        activities::list_own(c, "0192f1a0-0000-7000-8000-000000000000", None, None, 20).unwrap();
    });
}
