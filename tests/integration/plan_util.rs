//! Recording SQL and reading query plans on both backends, and loading rows for them.

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::sync::{Arc, Mutex};
use telework_registry::db::activities::{self};
use telework_registry::db::{self, DbConn};
use telework_registry::domain::codes::{Kind, Role};
use telework_registry::domain::workflow::Status;

/// Records the SQL of every query a connection runs.
pub(crate) fn record(conn: &mut DbConn) -> Arc<Mutex<Vec<String>>> {
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

pub(crate) fn stop_recording(conn: &mut DbConn) {
    let none: Option<Box<dyn Instrumentation>> = None;
    match conn {
        DbConn::Sqlite(c) => c.set_instrumentation(none),
        DbConn::Pg(c) => c.set_instrumentation(none),
    }
}

#[derive(QueryableByName)]
pub(crate) struct SqlitePlanRow {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    id: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
pub(crate) struct PgPlanRow {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` as text lines.
pub(crate) fn plan(conn: &mut DbConn, recorded: &str) -> Vec<String> {
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

pub(crate) fn sql_of(recorded: &str) -> &str {
    recorded.split(" -- binds: ").next().unwrap_or(recorded)
}

/// The recorded PostgreSQL query with its `$n` parameters replaced by the values it was run
/// with, so that EXPLAIN shows the plan the server gets for them.
pub(crate) fn with_literals(recorded: &str) -> String {
    let (sql, binds) = recorded.split_once(" -- binds: ").unwrap_or((recorded, "[]"));
    let binds = binds.trim();
    let inner = binds
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(binds);
    // Each bind as SQL, from its Debug form; a list (`= ANY($n)`) becomes an array literal.
    let literal = |v: &str, quoted: bool| {
        if !quoted && v.parse::<i64>().is_ok() {
            v.to_owned()
        } else {
            format!("'{}'", v.replace('\'', "''"))
        }
    };
    let mut values: Vec<String> = Vec::new();
    let mut array: Option<Vec<String>> = None;
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
            '[' if !in_str => array = Some(Vec::new()),
            ']' if !in_str => {
                let mut items = array.take().unwrap_or_default();
                if !cur.trim().is_empty() || quoted {
                    items.push(literal(cur.trim(), std::mem::take(&mut quoted)));
                }
                cur.clear();
                values.push(format!("ARRAY[{}]", items.join(", ")));
            }
            ',' if !in_str => {
                let v = std::mem::take(&mut cur);
                let q = std::mem::take(&mut quoted);
                match &mut array {
                    Some(items) => items.push(literal(v.trim(), q)),
                    // The comma after a list closes nothing new.
                    None if v.trim().is_empty() && !q => {}
                    None => values.push(literal(v.trim(), q)),
                }
            }
            _ => cur.push(ch),
        }
    }
    if !cur.trim().is_empty() || quoted {
        values.push(literal(cur.trim(), quoted));
    }
    let mut out = sql.to_owned();
    for (i, v) in values.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), v);
    }
    out
}

/// The plans of every query `f` runs on activities, as one text.
pub(crate) fn plans_of(conn: &mut DbConn, f: impl FnOnce(&mut DbConn)) -> String {
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
pub(crate) fn assert_indexed(
    conn: &mut DbConn,
    what: &str,
    expect_index: &str,
    sorted: bool,
    f: impl FnOnce(&mut DbConn),
) {
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
/// and texts, then refreshes the planner's statistics. The ids and texts depend on `n` alone,
/// so two databases loaded alike hold the same rows (in the same order of approval).
pub(crate) fn load(conn: &mut DbConn, n: usize) {
    use telework_registry::db::accounts::{self, NewAccount};
    use telework_registry::db::activities::ActivityRow;
    use telework_registry::db::campaigns::{self, CampaignRow};
    use telework_registry::domain::account::Profile;
    use telework_registry::domain::activity::ActivityText;
    let now = db::now();
    let profile = Profile::default();
    let owner = "0192f1a0-0000-7000-8000-00000000000a".to_owned();
    accounts::insert(
        conn,
        &NewAccount::new(
            &owner,
            "o@example.jp",
            "x",
            Role::Registrant,
            Some(Kind::Organization),
            "o",
            &profile,
        ),
    )
    .unwrap();
    let campaign = "0192f1a0-0000-7000-8000-00000000000c".to_owned();
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
            version: 1,
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
            } else if i % 37 == 0 {
                // ASCII, LIKE's special characters and a space.
                " 100%達成 a_b"
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
                // As in a real campaign: many organizers, a few activities each.
                organizer_name: format!("団体{}", i % 500),
                starts_on: None,
                ends_on: None,
                format: None,
                prefecture: Some(format!("{:02}", i % 47 + 1)),
                url: None,
            };
            activities::insert(
                conn,
                &ActivityRow {
                    id: format!("0192f1a0-0000-7000-8001-{i:012}"),
                    status: Status::parse(status).unwrap(),
                    queued_at: (status == "pending").then_some(at),
                    approved_at: (status == "approved").then_some(at),
                    ..ActivityRow::draft(&owner, &campaign, Kind::Organization, None, text, at)
                },
            )?;
        }
        Ok::<_, db::Error>(())
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
